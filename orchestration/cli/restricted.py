"""`levelup restricted ...`: the restricted zone's commands, for its data stewards.

    restricted new-key            print a new zone key (store it in a secret manager or a key file outside
                                  the repository; never in the repository, never in a log)
    restricted ingest             pick up encrypted deliveries from the landing zone and land them encrypted
    restricted export             build the zone in memory, disclosure-control, scan and export the aggregates
    restricted publish-cleared    publish the cleared analysts' release inside the zone
Errors print one line, with any key material redacted; never a traceback.
"""

from __future__ import annotations

import json

import typer

from core.settings import init_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="The restricted zone (data stewards)")


def _fail(exc: Exception) -> None:
    from restricted.keys import redact

    typer.echo(f"error: {redact(str(exc))}", err=True)
    raise typer.Exit(1)


@app.command("new-key")
def new_key() -> None:
    """Print a new zone key (urlsafe base64 of 32 random bytes)."""
    from restricted.keys import generate_key

    typer.echo(generate_key())


@app.command("ingest")
def ingest() -> None:
    """Land every waiting restricted delivery (encrypted at rest)."""
    from restricted.keys import RestrictedError
    from restricted.pickup import ingest_restricted

    try:
        typer.echo(json.dumps(ingest_restricted(init_settings()), indent=2, default=str))
    except RestrictedError as exc:
        _fail(exc)


@app.command("export")
def export() -> None:
    """Build the disclosure-controlled aggregates and export them (the zone's only exit)."""
    from restricted.export import build_restricted_aggregates
    from restricted.keys import RestrictedError

    try:
        typer.echo(json.dumps(build_restricted_aggregates(init_settings()), indent=2, default=str))
    except RestrictedError as exc:
        _fail(exc)


@app.command("publish-cleared")
def publish_cleared() -> None:
    """Publish the cleared analysts' release in the zone."""
    from restricted.cleared import publish_cleared_release
    from restricted.keys import RestrictedError

    try:
        typer.echo(str(publish_cleared_release(init_settings())))
    except RestrictedError as exc:
        _fail(exc)
