"""Shared fixtures: the real-data mirror (skipped with a reason when absent), a clean data dir, and a local
HTTP server on 127.0.0.1 that serves files with ETag/Last-Modified and can misbehave on request."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# scripts/ (the benchmarks' helpers, the synthetic-data generators) is importable from every test module
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

# Resolve every path setting once, at the start of the session (a relative LEVELUP_MIRROR such as the README's
# `../shared/data` is taken against the folder `make test` ran from), so tests that run children from other
# folders see the same mirror.
for _var in ("LEVELUP_MIRROR", "LEVELUP_DATA_DIR", "LEVELUP_REGISTRY"):
    if os.environ.get(_var):
        os.environ[_var] = str(Path(os.environ[_var]).resolve())


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(d))
    return d


@pytest.fixture(scope="session")
def mirror() -> Path:
    value = os.environ.get("LEVELUP_MIRROR")
    if not value:
        pytest.skip(
            "LEVELUP_MIRROR is not set: this test needs the real data mirror (CI sets ../shared/data)"
        )
    path = Path(value).resolve()
    if not (path / "ess").is_dir():
        pytest.skip(f"LEVELUP_MIRROR={value} has no ess/ folder")
    return path


class Route:
    """What the test server does for one path. `plan` is consumed one response per request."""

    def __init__(self, body: bytes, content_type: str = "text/csv; charset=utf-8"):
        self.body = body
        self.content_type = content_type
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        self.last_modified = "Wed, 21 Oct 2026 07:28:00 GMT"
        self.plan: list[str] = []  # e.g. ["500", "500", "ok"], "truncate", "slow"
        self.requests: list[dict] = []


class LocalServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                route.requests.append(dict(self.headers))
                action = route.plan.pop(0) if route.plan else "ok"
                if action.isdigit():
                    self.send_response(int(action))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if action == "slow":
                    time.sleep(2.0)
                if self.headers.get("If-None-Match") == route.etag or (
                    self.headers.get("If-Modified-Since") == route.last_modified
                    and "If-None-Match" not in self.headers
                ):
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                body = route.body
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", route.etag)
                self.send_header("Last-Modified", route.last_modified)
                self.end_headers()
                if action == "truncate":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, path: str, body: bytes, **kw) -> Route:
        self.routes[path] = Route(body, **kw)
        return self.routes[path]


@pytest.fixture
def http_server():
    srv = LocalServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


class Published:
    """A data directory holding a release built by one real `levelup run` over the mirror."""

    def __init__(self, data: Path, stdout: str, stderr: str, returncode: int):
        self.data, self.stdout, self.stderr, self.returncode = data, stdout, stderr, returncode

    @property
    def release(self) -> Path:
        return (self.data / "releases" / "current").resolve()

    def copy_to(self, dest: Path) -> Path:
        """A private copy of the data directory, for tests that go on refreshing it."""
        import shutil

        shutil.copytree(self.data, dest, symlinks=True)
        return dest


def shared_root(tmp_path_factory) -> Path:
    """A folder every pytest-xdist worker of this session sees (the workers' own base folders' parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(tmp_path_factory, name: str, build) -> tuple[Path, dict]:
    """Build something expensive once per test session, even across xdist workers: the first worker to ask
    builds it under a file lock while the others wait, then every worker reuses it (`build(folder) -> dict`)."""
    from filelock import FileLock

    folder = shared_root(tmp_path_factory) / name
    with FileLock(str(folder) + ".lock"):
        done = folder / "BUILT.json"
        if not done.exists():
            folder.mkdir(parents=True, exist_ok=True)
            done.write_text(json.dumps(build(folder)))
    return folder, json.loads(done.read_text())


@pytest.fixture(scope="session")
def published(tmp_path_factory, mirror) -> Published:
    """One full refresh over the real mirror through the command `make run` uses, shared by every test (and
    every xdist worker) that only needs a published release (tests that refresh again work on a copy)."""
    import subprocess
    import sys

    def build(folder: Path) -> dict:
        env = {**os.environ, "LEVELUP_DATA_DIR": str(folder / "data"), "LEVELUP_MIRROR": str(mirror)}
        env.pop("DAGSTER_HOME", None)
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "levelup"), "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        return {"stdout": proc.stdout, "stderr": proc.stderr, "returncode": proc.returncode}

    folder, out = build_once(tmp_path_factory, "published", build)
    return Published(folder / "data", out["stdout"], out["stderr"], out["returncode"])


@pytest.fixture(scope="session")
def api_data(published, mirror, tmp_path_factory):
    """For the data API tests: a copy of the published data directory with a cleared release in its restricted
    zone (a synthetic APS delivery through `levelup restricted ...`) and API tokens made by `levelup api-token`."""
    from api_helpers import build_api_data

    assert published.returncode == 0, published.stdout[-3000:] + published.stderr[-3000:]
    return build_api_data(published, tmp_path_factory.mktemp("api") / "data", mirror)


def _cpu_seconds() -> float:
    """User + system CPU seconds of this worker and of the child processes it has waited for."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """With LEVELUP_TEST_TIMELINE=<file>: one JSON line per test (worker, test, start, end: wall clock; cpu:
    CPU seconds of the worker and its finished child processes), to see where the two xdist workers spend the
    session, where one waits for a shared build and which tests cost the machine most."""
    timeline = os.environ.get("LEVELUP_TEST_TIMELINE")
    start, cpu = time.time(), _cpu_seconds() if timeline else 0.0
    try:
        return (yield)
    finally:
        if timeline:
            line = {"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "test": item.nodeid,
                    "start": round(start, 2), "end": round(time.time(), 2), "cpu": round(_cpu_seconds() - cpu, 2)}  # fmt: skip
            with open(timeline, "a", encoding="utf-8") as f:
                f.write(json.dumps(line) + "\n")
