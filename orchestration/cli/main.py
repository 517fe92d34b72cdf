"""The root `levelup` command: every command module's commands, plus `levelup restricted ...`.

Belongs here: assembling the typer app only (the entry point in pyproject.toml).
"""

from __future__ import annotations

import typer

from orchestration.cli import dashboards, feeds, releases, restricted, run, ui

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Levelling Up data platform")
for module in (run, releases, feeds, ui, dashboards):
    app.add_typer(module.app)
app.add_typer(restricted.app, name="restricted")

if __name__ == "__main__":
    app()
