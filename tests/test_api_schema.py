"""Issue 16: the data API fuzzed from its own OpenAPI document with schemathesis (valid and invalid inputs for
every operation): no 5xx, and every answer - status, content type, headers, body - valid against the spec.

Three callers: anonymous, an open-role token and a cleared token. For the first two, no answer may carry a
restricted value (test_api_access.restricted_fingerprints) and every cleared route must refuse them."""

from __future__ import annotations

import tempfile
import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from serve.app import create_app

from test_api_access import leaked, restricted_fingerprints

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("api")]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ_MAX_ROWS = 5_000
FUZZ = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None
)


@pytest.fixture(scope="module")
def fingerprints(api_data) -> set[float]:
    return restricted_fingerprints(api_data)


class StartedOnce:
    """An app whose lifespan has already run, as a server runs it: once, before the first request.

    schemathesis's ASGI transport runs the app's lifespan around every call it sends, and this app's start-up
    opens the current release and warms its row cache (about 0.2 s; three quarters of the fuzzing time, measured
    with py-spy). Here the lifespan messages are acknowledged without reaching the app; every request does."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


@pytest.fixture(scope="module")
def app(api_data, tmp_path_factory):
    """The app over the real release and cleared zone, started once (its real lifespan, through Starlette's
    TestClient) and stopped after the module; the cases below are sent to it. Its largest page is FUZZ_MAX_ROWS
    rows, not the default 50,000: every answer's whole body is validated against the spec, and a 50,000-row body
    takes about a second to validate (the row limit itself is tested in test_api_routes)."""
    from fastapi.testclient import TestClient

    real = create_app(
        Settings(
            data_dir=api_data.data,
            api_max_rows=FUZZ_MAX_ROWS,
            api_tokens_file=api_data.tokens_file,
            api_audit_log=tmp_path_factory.mktemp("audit") / "api_audit.jsonl",
        ),
        watch=False,
    )
    with TestClient(real) as client:
        assert client.get("/").json()["release"] == api_data.release.name  # started on the real release
        yield StartedOnce(real)


# The OpenAPI document does not depend on the data: it is read, at collection time, from an app over an empty
# data directory; every case is then sent to the `app` fixture (call_and_validate(app=...)).
with tempfile.TemporaryDirectory() as _empty:
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(Settings(data_dir=_empty), watch=False)
    )
schema.config.generation.update(max_examples=25)


@schema.parametrize()
@FUZZ
def test_anonymous(case, app, fingerprints):
    response = case.call_and_validate(app=app, checks=CHECKS)
    assert not leaked(response.content, fingerprints), case.as_curl_command()
    if case.path.startswith("/api/v1/cleared"):
        # refused (401); a method other than GET is 405 before any credential is looked at
        assert response.status_code == (401 if case.method == "GET" else 405), case.as_curl_command()


@schema.parametrize()
@FUZZ
def test_open_role(case, app, api_data, fingerprints):
    headers = {"Authorization": f"Bearer {api_data.tokens['open-analyst']}"}
    response = case.call_and_validate(app=app, headers=headers, checks=CHECKS)
    assert not leaked(response.content, fingerprints), case.as_curl_command()
    if case.path.startswith("/api/v1/cleared"):
        # 403 for the open role (401 when the case replaced the header with a generated credential)
        assert response.status_code in ((401, 403) if case.method == "GET" else (405,)), (
            case.as_curl_command()
        )


@schema.include(path_regex="^/api/v1/cleared").parametrize()
@FUZZ
def test_cleared_role(case, app, api_data):
    headers = {"Authorization": f"Bearer {api_data.tokens['cleared-analyst']}"}
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
