"""The benchmarks' synthetic small-area feed still lands under its registry overlay.

`make bench-scale` and `make bench-spark` register `bench-small-area-gva` through
scripts/bench/small_area_overlay.yaml, whose contract `extends: ess_tidy` with its own columns (small-area codes
and geography labels). When the registry's `extends` once dropped those columns, both benchmarks stopped at
ingest ("areacd failed check ..."), and no test noticed. This generates one year of the feed (every small area of
the real lookup x 20 industries) and ingests it exactly as the benchmarks do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
OVERLAY = PROJECT / "scripts" / "bench" / "small_area_overlay.yaml"
LEVELUP = Path(sys.executable).parent / "levelup"
pytestmark = pytest.mark.mirror


def test_the_benchmark_small_area_feed_lands_under_its_overlay_contract(mirror, tmp_path, monkeypatch):
    from bench.generate_small_area_feed import generate  # scripts/ (tests/conftest.py)

    bench_mirror = tmp_path / "mirror"
    (bench_mirror / "bench").mkdir(parents=True)
    for part in ("ess", "reference"):
        (bench_mirror / part).symlink_to(mirror / part, target_is_directory=True)
    monkeypatch.setenv("LEVELUP_MIRROR", str(mirror))
    info = generate(1, bench_mirror / "bench" / "small-area-gva.csv")  # one whole year
    assert info["rows"] > 800_000 and info["industries"] == 20

    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(
        LEVELUP_MIRROR=str(bench_mirror),
        LEVELUP_DATA_DIR=str(tmp_path / "data"),
        LEVELUP_REGISTRY_OVERLAYS=str(OVERLAY),
    )
    proc = subprocess.run(
        [str(LEVELUP), "ingest", "bench-small-area-gva"], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "landed" in proc.stdout and f"rows={info['rows']}" in proc.stdout, proc.stdout
