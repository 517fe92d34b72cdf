"""The data API's application factory: `create_app(settings)` wires the stores, auth, audit, routes, errors and
the offline docs into one FastAPI app (uvicorn serves it: `levelup serve`).

Belongs here: assembly only. The OpenAPI document is served at `/openapi.json`; Swagger UI at `/docs` and ReDoc
at `/redoc` load their JavaScript and CSS from this server (the `fastapi-offline` package ships them), never
from a CDN, and Swagger UI's online validator is switched off, so the pages work on an air-gapped machine.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from core.settings import Settings, get_settings
from serve import catalogue, geo, query
from serve.audit import AuditLog
from serve.auth import Authenticator
from serve.http import JSONBody
from serve.problems import PROBLEM_MEDIA_TYPE, ProblemModel, install_handlers
from serve.routes import cleared, data, metadata, missions, releases
from serve.routes import geo as geo_routes
from serve.snapshot import ReleaseStore

STATIC_DOCS = Path(fastapi_offline.__file__).parent / "static"
DESCRIPTION = """Read-only access to the Levelling Up data platform's published releases, in the shape of the
ONS Explore Local Statistics API v1. Every answer names the release it was read from (in the body, the
`ETag` and `X-Release-Id`); `?release=<id>` reads a retained earlier release. Errors are
`application/problem+json`. The cleared tier (`/api/v1/cleared/...`) needs a token with the `cleared` role.
See docs/api.md for examples (curl, Python, R, Excel)."""


def warm(snap) -> None:
    """Compute the facts the first requests on a new release would otherwise wait for."""
    catalogue.indicators(snap)
    catalogue.known_codes(snap)
    geo.areas(snap)
    query.warm_rows(snap)


def create_app(settings: Settings | None = None, *, watch: bool = True) -> FastAPI:
    settings = settings or get_settings()
    release_store = ReleaseStore(settings.releases_dir, zone="open")
    release_store.warm = warm
    cleared_store = ReleaseStore(settings.restricted_dir / "releases", zone="cleared")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        release_store.open_current_early()
        if watch:
            release_store.start_watching(settings.api_watch_interval)
        yield
        release_store.close()
        cleared_store.close()

    app = FastAPI(
        title="Levelling Up data API",
        version="1",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        separate_input_output_schemas=False,
        default_response_class=JSONBody,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.releases = release_store
    app.state.cleared = cleared_store
    app.state.auth = Authenticator(settings)
    app.state.audit = AuditLog(settings.api_audit_path)

    for module in (data, metadata, geo_routes, missions, releases, cleared):
        app.include_router(module.router)
    install_handlers(app)
    _docs(app)

    @app.get("/", include_in_schema=False)
    def index():
        return {
            "name": app.title,
            "release": release_store.current_id(),
            "openapi": "/openapi.json",
            "docs": "/docs",
            "redoc": "/redoc",
            "routes": sorted(app.openapi()["paths"]),
        }

    def openapi():
        if app.openapi_schema is None:
            app.openapi_schema = _openapi(app)
        return app.openapi_schema

    app.openapi = openapi
    return app


def _openapi(app: FastAPI) -> dict:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = ProblemModel.model_json_schema()
    for item in schema.get("paths", {}).values():
        for op in item.values():
            responses = op.get("responses", {})
            responses.pop("422", None)  # validation errors are answered 400 (problem+json)
            for status, resp in responses.items():
                if status.isdigit() and int(status) >= 400:
                    resp["content"] = {
                        PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def _docs(app: FastAPI) -> None:
    static = "/static-docs"
    app.mount(static, StaticFiles(directory=STATIC_DOCS), name="static-docs")

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request):
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{static}/swagger-ui.css",
            swagger_favicon_url=f"{root}{static}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": True},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request):
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{static}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{static}/favicon.png",
            with_google_fonts=False,
        )
