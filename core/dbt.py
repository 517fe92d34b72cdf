"""Running dbt as a child process: finding the executable and giving it a clean environment.

Belongs here: `dbt_executable()` (the one next to this interpreter, in the venv) and `run_dbt(...)`, which every
dbt invocation outside dagster-dbt goes through (the restricted zone's project, docs, tests' helpers). The child
gets `core.settings.child_environment()`: absolute paths, telemetry off and no secret variable, so nothing a
dbt project renders (a description, a log line) can ever reach a key.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from core.settings import child_environment


def dbt_executable() -> Path:
    exe = Path(sys.executable).parent / "dbt"
    if exe.exists():
        return exe
    found = shutil.which("dbt")
    if found:
        return Path(found)
    raise FileNotFoundError(
        f"dbt is not installed next to {sys.executable}; run `make run` to bootstrap .venv"
    )


def run_dbt(
    project_dir: Path,
    args: list[str],
    *,
    target_path: Path | None = None,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    cmd = [
        str(dbt_executable()),
        *args,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
    ]
    if target_path is not None:
        cmd += ["--target-path", str(target_path)]
    if log_path is not None:
        cmd += ["--log-path", str(log_path)]
    return subprocess.run(
        cmd,
        cwd=project_dir,
        env=child_environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
