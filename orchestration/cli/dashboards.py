"""`levelup dashboards [--port P] [--host H] [--check] [--release ID]` and `levelup dashboards-token NAME`.

Belongs here: these commands only. The server, the pages and their validation are in `dashboards/`: serving
prints its start-up cost and the address (on 127.0.0.1 by default, a free port with `--port 0`) and stops
cleanly on Ctrl-C or SIGTERM; `--check` runs every page's queries against the current (or a retained) release
and exits 1 naming the page, the query and the column of each failure.
"""

from __future__ import annotations

import signal
import sys
import time

import typer

from core.settings import get_settings

app = typer.Typer(add_completion=False)


def _say(text: str) -> None:
    print(text, flush=True)


@app.command("dashboards")
def dashboards(
    port: int = typer.Option(None, help="port (default LEVELUP_DASHBOARDS_PORT, 8050; 0 = a free port)"),
    host: str = typer.Option(None, help="host (default LEVELUP_DASHBOARDS_HOST, 127.0.0.1)"),
    check: bool = typer.Option(False, "--check", help="validate every page against the release, then exit"),
    release: str = typer.Option(None, help="with --check: a retained release id (default: current)"),
) -> None:
    """Serve the dashboards (Plotly Dash) over the current release, or check every page against it."""
    from dashboards.release import ReleaseNotFound, resolve_release

    settings = get_settings()
    if check:
        from dashboards.check import check_release

        started = time.perf_counter()
        try:
            ref = resolve_release(settings, release)
        except ReleaseNotFound as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        report = check_release(ref.path, settings=settings)
        _say(report.text())
        _say(f"dashboards check cost: {time.perf_counter() - started:.2f} s (target <= 60 s)")
        raise typer.Exit(0 if report.ok else 1)

    from dashboards.server import DashboardServer

    started = time.perf_counter()
    srv = DashboardServer(
        host or settings.dashboards_host, settings.dashboards_port if port is None else port
    )
    try:
        ref = resolve_release(settings)
        where = f"release {ref.release_id} (releases/current, resolved on every request)"
    except ReleaseNotFound as exc:
        where = f"no release yet: {exc}"
    pages = srv.app._levelup_pages.pages()  # noqa: SLF001
    _say(f"dashboards start-up cost: {time.perf_counter() - started:.2f} s")
    _say(f"Dashboards on {srv.url}/  ({len(pages)} pages; {where})")

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.httpd.server_close()
        _say("dashboards stopped")
        sys.stdout.flush()


@app.command("dashboards-token")
def dashboards_token(
    name: str = typer.Argument(..., help="who the token is for"),
    role: str = typer.Option("cleared", help="public or cleared"),
) -> None:
    """Create a dashboards token (printed once; only its hash is stored in LEVELUP_DASHBOARDS_TOKENS_FILE)."""
    from dashboards.auth import add_token

    tokens_file = get_settings().dashboards_tokens_file
    if tokens_file is None:
        typer.echo("set LEVELUP_DASHBOARDS_TOKENS_FILE (a file outside the repository) first", err=True)
        raise typer.Exit(2)
    token = add_token(tokens_file, name, role)
    typer.echo(token)
    typer.echo(
        f"(stored the hash for {name!r}, role {role}, in {tokens_file}; the token is not kept)", err=True
    )
