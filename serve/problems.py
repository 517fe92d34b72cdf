"""Errors of the data API as RFC 9457 problem details (`application/problem+json`).

Belongs here: the `Problem` exception every route raises, its JSON schema (for the OpenAPI document), the
exception handlers that turn FastAPI's own errors (validation, 404/405) and unexpected exceptions into problem
documents, and the catalogue of problem types. A problem says what is wrong and what to change; it never
carries a traceback, a file path of the server or a secret.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("levelup.serve")

PROBLEM_MEDIA_TYPE = "application/problem+json"

# type slug -> title. The `type` member is the relative reference `/api/v1/problems/<slug>`, documented in
# docs/api.md ("Errors").
TITLES = {
    "bad-request": "The request is not valid",
    "unknown-indicator": "Unknown indicator",
    "unknown-code": "Unknown area code",
    "unknown-metric": "Unknown metric",
    "unknown-table": "Unknown table",
    "too-many-values": "Too many values in one request",
    "result-too-large": "The result is larger than one response may be",
    "not-found": "Not found",
    "release-not-found": "Release not found",
    "mart-unavailable": "Mart not published in this release",
    "no-release": "No release has been published yet",
    "unauthenticated": "Authentication required",
    "forbidden": "Not allowed",
    "method-not-allowed": "Method not allowed",
    "audit-unavailable": "The audit log cannot be written",
    "internal": "Internal error",
}


def problem_type(slug: str) -> str:
    return f"/api/v1/problems/{slug}"


class ProblemModel(BaseModel):
    """An RFC 9457 problem document, with the release it concerns where there is one."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a URI reference naming the kind of problem (see docs/api.md, Errors)")
    title: str
    status: int
    detail: str = Field(description="what is wrong and what to change")
    instance: str | None = Field(None, description="the request path")
    release: str | None = Field(None, description="the release the request was answered from, when known")


class Problem(Exception):
    """Raise to answer with a problem document. `extra` members are added to the body (e.g. `unknown`)."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        release: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
        self.release, self.headers, self.extra = release, headers or {}, extra

    def body(self, instance: str | None) -> dict:
        out = {
            "type": problem_type(self.slug),
            "title": TITLES.get(self.slug, self.slug),
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.release:
            out["release"] = self.release
        out.update(self.extra)
        return out

    def response(self, request: Request | None = None) -> JSONResponse:
        headers = dict(self.headers)
        if self.release:
            headers.setdefault("X-Release-Id", self.release)
        return JSONResponse(
            self.body(request.url.path if request is not None else None),
            status_code=self.status,
            headers=headers,
            media_type=PROBLEM_MEDIA_TYPE,
        )


def _validation_detail(exc: RequestValidationError) -> tuple[str, list[dict]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "path", "header")]
        errors.append({"parameter": ".".join(loc) or "request", "message": err.get("msg", "invalid")})
    text = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors) or "invalid request"
    return text, errors


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return exc.response(request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        text, errors = _validation_detail(exc)
        return Problem(400, "bad-request", text, errors=errors).response(request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            p = Problem(404, "not-found", f"no route {request.url.path}: see /docs for the routes")
        elif exc.status_code == 405:
            p = Problem(
                405, "method-not-allowed", f"{request.method} is not allowed here: the API is read-only (GET)"
            )
            p.headers = dict(exc.headers or {})
        else:
            p = Problem(exc.status_code, "bad-request", str(exc.detail))
        return p.response(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unexpected error answering %s", request.url.path)
        return Problem(500, "internal", "the server failed to answer; the error is in its log").response(
            request
        )


# The error responses every route documents (schemathesis checks that each answer is documented).
def error_responses(*statuses: int) -> dict[int, dict]:
    describe = {
        400: "The request is not valid (unknown indicator or code, bad parameter, too many values)",
        401: "Credentials are missing or not valid",
        403: "The credentials do not carry the role this route needs",
        404: "Not found (release, area, mart or route)",
        405: "Method not allowed",
        413: "The result is above the row limit: narrow the request or page through it",
        500: "Internal error",
        503: "No release is published yet, or the audit log cannot be written",
    }
    return {
        s: {
            "description": describe[s],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in statuses
    }
