"""`levelup dagster-dev`: the Dagster UI on 127.0.0.1, offline, telemetry off.

Belongs here: starting and stopping the UI process only.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import typer

from core.settings import PROJECT_ROOT
from orchestration.cli.common import prepare_environment

app = typer.Typer(add_completion=False)


@app.command("dagster-dev")
def dagster_dev(port: int = 3000) -> None:
    """Start the Dagster UI (offline, telemetry off) on 127.0.0.1."""
    prepare_environment()
    exe = Path(sys.executable).parent / "dagster"
    proc = subprocess.Popen(
        [str(exe), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
    )
    try:
        proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        proc.wait()
