"""Helpers for the dashboards tests: a data dir holding one release, the real `levelup dashboards` server started
and stopped by the test on 127.0.0.1 (a free port), and reading what Chromium shows (tables with each cell's
unrounded `data-value`, charts and their text alternatives, the network log)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LEVELUP = str(Path(sys.executable).parent / "levelup")
WAIT_RENDERED = (
    "(() => { if (!document.querySelector('#page-ready')) return false;"
    " if (document.querySelector('[data-dash-is-loading=\"true\"]')) return false;"
    " const charts = document.querySelectorAll('figure.chart').length;"
    " return document.querySelectorAll('figure.chart .js-plotly-plot').length === charts"
    " && Array.from(document.querySelectorAll('.raw')).every(e => e.children.length > 0); })()"
)


def release_only_data_dir(release: Path, dest: Path) -> Path:
    """A data dir with just a copy of `release` as releases/<id> and releases/current (all the server reads)."""
    rel = dest / "releases" / release.name
    shutil.copytree(release, rel)
    os.symlink(release.name, dest / "releases" / "current")
    return dest


@contextlib.contextmanager
def dashboards_server(data_dir: Path, *, pages_dir: Path | None = None, tokens_file: Path | None = None,
                      timeout: float = 60.0):  # fmt: skip
    """`levelup dashboards --port 0` in its own process; yields its base URL; stopped with SIGTERM."""
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("LEVELUP_DASHBOARDS_PAGES_DIR", None)
    if pages_dir is not None:
        env["LEVELUP_DASHBOARDS_PAGES_DIR"] = str(pages_dir)
    if tokens_file is not None:
        env["LEVELUP_DASHBOARDS_TOKENS_FILE"] = str(tokens_file)
    proc = subprocess.Popen(
        [LEVELUP, "dashboards", "--port", "0", "--host", "127.0.0.1"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    url, lines = None, []
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and url is None:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
            if line.startswith("Dashboards on http://127.0.0.1:"):
                url = line.split()[2].rstrip("/")
        assert url, "the dashboards server did not start:\n" + "".join(lines)
        yield url, lines
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        proc.stdout.close()


def open_page(browser, url: str, timeout: float = 90.0) -> None:
    browser.goto(url, "!!document.querySelector('#page-ready')", timeout)
    browser.wait(WAIT_RENDERED, timeout)
    time.sleep(0.3)
    browser.wait(WAIT_RENDERED, timeout)


def dom_table(browser, table_id: str) -> list[dict[str, tuple[str, str]]]:
    """Rows of the table `table_id`: {data-col: (shown text, data-value)}."""
    return browser.js(
        f"""Array.from(document.querySelectorAll('#{table_id} tbody tr')).map(tr =>
            Object.fromEntries([["_key", [tr.dataset.key || "", tr.dataset.key || ""]], ...Array.from(tr.children).map(c => [c.dataset.col, [c.textContent.trim(), c.dataset.value]])]))"""
    )


def num(cell: tuple[str, str]) -> float | None:
    return float(cell[1]) if cell and cell[1] not in ("", None) else None


def outside_requests(urls: list[str]) -> list[str]:
    """Requests to anything but this machine's loopback (data: and blob: URLs stay in the page)."""
    out = []
    for u in urls:
        parts = urlsplit(u)
        if parts.scheme in ("data", "blob", "about", "file", "chrome-extension", "devtools"):
            continue
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            out.append(u)
    return out


def marts(release: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(release / "marts.duckdb"), read_only=True)


def chart_alternatives(browser) -> list[dict]:
    """Per chart: whether it rendered, its summary text, and the rows of its data table."""
    return browser.js(
        """Array.from(document.querySelectorAll('figure.chart')).map(f => ({
            key: f.dataset.key,
            rendered: !!f.querySelector('.js-plotly-plot'),
            summary: (f.querySelector('.chart-summary') || {}).innerText || '',
            rows: f.querySelectorAll('table.data-table tbody tr').length,
            describedby: (f.querySelector('.graph') || {getAttribute: () => null}).getAttribute('aria-describedby'),
        }))"""
    )
