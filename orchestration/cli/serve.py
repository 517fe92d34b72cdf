"""`levelup serve` (the data API on uvicorn) and `levelup api-token ...` (its hashed API tokens).

Belongs here: starting the API server and managing the tokens file from the command line; the API itself is
`serve.app`.
"""

from __future__ import annotations

import json

import typer

from core.settings import init_settings

app = typer.Typer(add_completion=False)
tokens = typer.Typer(
    add_completion=False, no_args_is_help=True, help="API tokens for the data API (only hashes are stored)"
)


@app.command("serve")
def serve(
    host: str = typer.Option(None, help="address to listen on (default LEVELUP_API_HOST, 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default LEVELUP_API_PORT, 8000)"),
    workers: int = typer.Option(None, help="worker processes (default LEVELUP_API_WORKERS, 2: one per core)"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
) -> None:
    """Serve the data API (read-only) over the current release and any retained one."""
    import uvicorn

    from serve.app import create_app

    settings = init_settings()
    host = host or settings.api_host
    port = port or settings.api_port
    workers = workers or settings.api_workers
    typer.echo(f"levelup data API on http://{host}:{port}  (docs: http://{host}:{port}/docs)", err=True)
    if workers > 1:  # each worker process builds its own app from the (exported) settings
        uvicorn.run(
            "serve.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            proxy_headers=False,
        )
    else:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, proxy_headers=False)


def _tokens_path():
    settings = init_settings()
    if settings.api_tokens_file is None:
        typer.echo("error: set LEVELUP_API_TOKENS_FILE to the tokens file (outside the repository)", err=True)
        raise typer.Exit(2)
    return settings, settings.api_tokens_file


@tokens.command("create")
def create(
    token_id: str = typer.Argument(..., help="a name for the token (e.g. the analyst and the project)"),
    role: list[str] = typer.Option(["open"], "--role", help="open or cleared (repeatable)"),
    subject: str = typer.Option(None, help="who the token is for, as written to the audit log"),
    expires_days: float = typer.Option(None, help="days until the token expires"),
) -> None:
    """Create a token: it is printed once, on stdout, and only its hash is stored."""
    from serve.auth import create_token

    settings, path = _tokens_path()
    pepper = settings.api_token_pepper.get_secret_value() if settings.api_token_pepper else None
    try:
        token = create_token(path, token_id, role, subject=subject, expires_days=expires_days, pepper=pepper)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"token {token_id!r} ({', '.join(role)}) added to {path}; it is shown once:", err=True)
    typer.echo(token)


@tokens.command("list")
def list_() -> None:
    """List the tokens (ids, subjects, roles, dates; never hashes)."""
    from serve.auth import list_tokens

    _, path = _tokens_path()
    typer.echo(json.dumps(list_tokens(path), indent=2))


@tokens.command("revoke")
def revoke(token_id: str = typer.Argument(...)) -> None:
    """Revoke a token (takes effect on the next request)."""
    from serve.auth import revoke_token

    _, path = _tokens_path()
    try:
        revoke_token(path, token_id)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked {token_id}")
