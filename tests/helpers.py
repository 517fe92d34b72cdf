"""Helpers shared by tests that build part of the warehouse with dbt in a temporary data directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.mirrors import overlay_mirror, revised_mirror  # noqa: F401  (scripts/, shared with the benchmarks)

from onboarding.scaffold import ESS_COLUMNS  # the ESS tidy file's columns, in the publisher's order

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DBT_DIR = PROJECT_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
ESS_HEADER = ESS_COLUMNS


def dbt_build(env: dict, tmp: Path, select: list[str]) -> subprocess.CompletedProcess:
    """`dbt build --select ...` against env's LEVELUP_DATA_DIR, with its own target and log folders. Only tests
    whose every parent is built here run (`cautious`): other marts' checks belong to their own tests."""
    (Path(env["LEVELUP_DATA_DIR"]) / "warehouse").mkdir(parents=True, exist_ok=True)
    cmd = [
        str(DBT),
        "build",
        "--profiles-dir",
        ".",
        "--target-path",
        str(tmp / "target"),
        "--log-path",
        str(tmp / "logs"),
        "--indirect-selection",
        "cautious",
        "--select",
        *select,
    ]
    res = subprocess.run(cmd, cwd=DBT_DIR, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    return res
