"""Issue 16: every example in docs/api.md runs against `levelup serve`'s app on a real release (a real socket on
127.0.0.1), and the Swagger UI / ReDoc pages render in headless Chromium with nothing fetched from outside.

The fenced blocks are read from the Markdown: `sh` blocks run with bash (curl), `python` blocks with this
Python, `r` blocks with Rscript when R and httr2 are installed (skipped otherwise), the Excel `url` is fetched
and parsed as CSV, and the Power Query block must use that same URL."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_helpers import running_server

from core.settings import Settings
from serve.app import create_app

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("api")]
DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
DOC_BASE = "http://127.0.0.1:8000"
CHROMIUM = shutil.which("chromium")


def blocks(lang: str) -> list[str]:
    return [
        m.group(1) for m in re.finditer(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    ]


@pytest.fixture(scope="module")
def base(api_data, tmp_path_factory):
    settings = Settings(
        data_dir=api_data.data,
        api_tokens_file=api_data.tokens_file,
        api_audit_log=tmp_path_factory.mktemp("audit") / "api_audit.jsonl",
    )
    with running_server(create_app(settings)) as url:
        yield url


def run(cmd: list[str], code: str, base: str, cwd: Path, env_extra: dict | None = None) -> str:
    import os

    proc = subprocess.run(
        [*cmd, code.replace(DOC_BASE, base)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env_extra or {})},
    )
    assert proc.returncode == 0, (
        f"{code}\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-2000:]}"
    )
    return proc.stdout


def test_the_doc_has_every_kind_of_example():
    assert (
        len(blocks("sh")) >= 4
        and len(blocks("python")) >= 2
        and blocks("r")
        and blocks("url")
        and blocks("powerquery")
    )


def test_sh_examples(base, api_data, tmp_path):
    outputs = [
        run(
            ["bash", "-euo", "pipefail", "-c"],
            code,
            base,
            tmp_path,
            {"API_TOKEN": api_data.tokens["cleared-analyst"]},
        )
        for code in blocks("sh")
    ]
    by_topic = dict(zip(["conditional", "error", "cleared", "curl"], outputs, strict=True))
    assert by_topic["conditional"].strip() == "304"
    assert '"unknown":["not-an-indicator"]' in by_topic["error"]
    cleared = list(csv.DictReader(io.StringIO(by_topic["cleared"])))
    assert {r["breakdown_value"] for r in cleared} == {"female", "male"} and cleared[0]["release"]
    assert (
        "Sheffield" in by_topic["curl"]
        and '"mission":7' in by_topic["curl"]
        and "source_sha256" in by_topic["curl"]
    )


def test_python_examples(base, tmp_path):
    first, second = (run([sys.executable, "-c"], code, base, tmp_path) for code in blocks("python"))
    assert (
        "release" in first
        and "LAD rows from release" in first
        and "400 application/problem+json ['nope']" in first
    )
    assert "Sheffield" in second and "areanm" in second


@pytest.mark.skipif(
    shutil.which("Rscript") is None, reason="R is not installed (the R example needs Rscript)"
)
def test_r_example(base, tmp_path):
    has = subprocess.run(["Rscript", "-e", "library(httr2)"], capture_output=True)
    if has.returncode != 0:
        pytest.skip("the R package httr2 is not installed")
    out = run(["Rscript", "-e"], blocks("r")[0], base, tmp_path)
    assert "release" in out and "E08000039" in out


def test_excel_power_query_url(base, api_data):
    (url,) = [b.strip() for b in blocks("url")]
    (m_code,) = blocks("powerquery")
    assert f'Web.Contents("{url}")' in m_code and m_code.lstrip().startswith("let") and "\nin\n" in m_code
    r = httpx.get(url.replace(DOC_BASE, base), timeout=60)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) > 300 and {row["geoLevel"] for row in rows} == {"LAD"}
    assert {row["release"] for row in rows} == {api_data.release.name} and all(row["areanm"] for row in rows)
    float(rows[0]["value"])


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (Debian package chromium) is not installed")
@pytest.mark.parametrize("page, marker", [("/docs", "opblock"), ("/redoc", "api-content")])
def test_docs_pages_render_offline(base, tmp_path, page, marker):
    profile = tmp_path / "profile"
    profile.mkdir()
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # any outside fetch would fail
            "--virtual-time-budget=15000",
            "--dump-dom",
            base + page,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    dom = proc.stdout
    assert marker in dom, proc.stderr[-2000:]
    assert "/api/v1/data.json" in dom and "Levelling Up data API" in dom
