"""The root `levelup` command: every command module's commands, plus `levelup restricted ...` and
`levelup api-token ...`.

Belongs here: assembling the typer app only (the entry point in pyproject.toml).
"""

from __future__ import annotations

import typer

from orchestration.cli import analysis, dashboards, feeds, releases, restricted, run, serve, ui

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Levelling Up data platform")
for module in (run, releases, feeds, ui, analysis, serve, dashboards):
    app.add_typer(module.app)
app.add_typer(restricted.app, name="restricted")
app.add_typer(serve.tokens, name="api-token")

if __name__ == "__main__":
    app()
