"""The Dagster UI offline: `dagster dev -w workspace.yaml` with telemetry off, the asset pages loaded in
headless Chromium (Debian's `chromium` package), feed assets visible; a screenshot is kept in
test-artifacts/dagster-assets.png. Skipped with a reason when chromium is not installed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium)"
    ),
    pytest.mark.xdist_group("dagster_ui"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium(tmp_path: Path, *args: str, url: str, height: int = 1000) -> subprocess.CompletedProcess:
    """Headless Chromium on `url`; `height`: the window's, as the asset list renders only the rows in view."""
    return subprocess.run(
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
            "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--window-size=1600,{height}",
            "--virtual-time-budget=30000",
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def dagster_dev(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "LEVELUP_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    exe = Path(sys.executable).parent / "dagster"
    log = open(tmp_path / "dagster-dev.log", "w")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [str(exe), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGINT reaches the webserver and the daemon
        # pytest-xdist's workers ignore SIGINT and a child inherits that: dagster dev would ignore the SIGINT below
        # (and its children the SIGTERM), so every stop waited 30 s for the SIGKILL. Ctrl-C's default, restored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while True:
            try:
                with urllib.request.urlopen(base + "/server_info", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                log.flush()
                pytest.fail(
                    "dagster dev did not start:\n" + (tmp_path / "dagster-dev.log").read_text()[-3000:]
                )
            time.sleep(0.5)
        # /server_info answers before the code location has loaded: wait until the workspace reports it loaded
        query = (
            b'{"query": "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus '
            b'locationOrLoadError { __typename ... on PythonError { message } } } } } }"}'
        )
        while True:
            try:
                req = urllib.request.Request(
                    base + "/graphql", data=query, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(req, timeout=5) as r:
                    body = r.read().decode()
                if "PythonError" in body:  # loaded, but the code location failed to import
                    pytest.fail(f"the code location failed to load: {body[:3000]}")
                if "RepositoryLocation" in body:
                    # mark the first-visit "Join the community" dialog as seen, so it does not cover the screenshot
                    seen = urllib.request.Request(
                        base + "/graphql",
                        data=b'{"query": "mutation { setNuxSeen }"}',
                        headers={"Content-Type": "application/json"},
                    )
                    urllib.request.urlopen(seen, timeout=5).close()
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(
                    "code location did not load:\n" + (tmp_path / "dagster-dev.log").read_text()[-3000:]
                )
            time.sleep(1)
        yield base
    finally:
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if proc.poll() is not None:
                break
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        log.close()


def test_asset_graph_shows_the_feeds_offline(dagster_dev, tmp_path):
    from core.registry import load_registry

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dagster-assets.png"
    shot.unlink(missing_ok=True)
    url = dagster_dev + "/assets/raw"
    dom = chromium(tmp_path, "--dump-dom", url=url, height=8000)  # tall enough for every feed's row
    assert dom.returncode == 0, dom.stderr[-2000:]
    feeds = [f.id for f in load_registry().open_feeds if f.family == "ess"]
    shown = [f for f in feeds if f in dom.stdout]
    assert len(shown) >= len(feeds) // 2, f"feeds on {url}: {shown}\n{dom.stdout[:1500]}"
    pic = chromium(tmp_path, f"--screenshot={shot}", url=dagster_dev + "/asset-groups")
    assert pic.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, pic.stderr[-2000:]
