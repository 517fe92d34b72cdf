"""Benchmark: time the full refresh over the mirror, cold (empty data dir) and again with nothing changed.

Prints wall seconds and peak RSS (largest child process) for each run. Uses a temporary data directory so
the real ./data is untouched. Needs LEVELUP_MIRROR (or the network).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(data_dir: Path) -> tuple[float, float, int]:
    levelup = Path(sys.executable).parent / "levelup"
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data_dir)}
    env.pop("DAGSTER_HOME", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([str(levelup), "run"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise SystemExit(f"levelup run failed with exit code {proc.returncode}")
    return wall, max(peak_kb, before) / 1024, proc.returncode


def main() -> None:
    if not os.environ.get("LEVELUP_MIRROR"):
        print("note: LEVELUP_MIRROR is not set; the benchmark will fetch over the network")
    with tempfile.TemporaryDirectory(prefix="levelup-bench-") as tmp:
        data = Path(tmp) / "data"
        cold = run_once(data)
        warm = run_once(data)
    print(f"{'run':<22}{'wall s':>10}{'peak RSS MiB':>15}{'exit':>6}")
    print(f"{'cold (empty data dir)':<22}{cold[0]:>10.1f}{cold[1]:>15.0f}{cold[2]:>6}")
    print(f"{'no change':<22}{warm[0]:>10.1f}{warm[1]:>15.0f}{warm[2]:>6}")


if __name__ == "__main__":
    main()
