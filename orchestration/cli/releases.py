"""`levelup releases`, `rollback`, `manifest`: looking at and choosing the published releases.

Belongs here: commands over `releases/` only (listing, re-pointing `current`, printing a manifest).
"""

from __future__ import annotations

import json

import typer

from core.releases import current_dir, list_release_dirs, read_manifest
from core.settings import get_settings

app = typer.Typer(add_completion=False)


@app.command()
def releases() -> None:
    """List releases, marking the current one."""
    settings = get_settings()
    cur = current_dir(settings.releases_dir)
    for r in list_release_dirs(settings.releases_dir):
        m = read_manifest(r)
        held = [n for n, v in m["marts"].items() if v["status"] in ("carried_over", "withheld")]
        typer.echo(f"{'*' if r == cur else ' '} {r.name}  code={m['code_version']}  held_back={held}")


@app.command()
def rollback(
    release_id: str = typer.Argument(None, help="release to serve (default: the one before current)"),
) -> None:
    """Re-point releases/current to an earlier release (atomic)."""
    from publish.release import rollback as do_rollback

    target = do_rollback(get_settings(), release_id)
    typer.echo(f"current -> {target}")


@app.command()
def manifest() -> None:
    """Print the current release's manifest."""
    cur = current_dir(get_settings().releases_dir)
    if cur is None:
        raise typer.Exit(1)
    typer.echo(json.dumps(read_manifest(cur), indent=2))
