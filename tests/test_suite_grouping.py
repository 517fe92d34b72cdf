"""The suite's own scheduling: `make test` runs `pytest -n 2 --dist loadgroup`, and the heavy modules (the SIGKILL
sequence, the Spark build, the API's shared data) mark themselves `xdist_group` so that their module fixtures
are built once, on one worker. pytest 9.2 silently broke that (pytest-xdist 3.8 tags a grouped test by setting
`item._nodeid`, and 9.2 derives `nodeid` from another field): every grouped module ran its fixtures on both workers. This runs a small suite the same
way and checks that a group stays on one worker.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_an_xdist_group_runs_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(
        textwrap.dedent(
            """
            import os, pytest
            pytestmark = pytest.mark.xdist_group("heavy")

            @pytest.mark.parametrize("i", range(6))
            def test_grouped(i):
                print("WORKER", os.environ["PYTEST_XDIST_WORKER"])
            """
        )
    )
    (tmp_path / "test_free.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('i', range(6))\ndef test_free(i):\n    pass\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p", "no:cacheprovider",
         "-o", "addopts=", str(tmp_path)],  # fmt: skip
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    workers = {
        line.split()[0]
        for line in proc.stdout.splitlines()
        if "test_grouped.py::" in line and "PASSED" in line
    }
    assert len(workers) == 1, f"one group ran on {sorted(workers)}:\n{proc.stdout[-3000:]}"
    grouped = [ln for ln in proc.stdout.splitlines() if "PASSED" in ln and ln.rstrip().endswith("@heavy")]
    assert len(grouped) == 6, proc.stdout[-3000:]
