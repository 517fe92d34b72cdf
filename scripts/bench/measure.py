"""Measuring a benchmark step: wall time and peak memory of a command and every process it starts.

Belongs here: what the benchmark scripts (`scripts/bench_*.py`) share to time things the same way:
  run_measured(cmd, env)  runs a command, sampling the resident memory of its whole process tree (psutil, every
                          50 ms) so that a child's peak (dbt, a DuckDB query in a subprocess) is counted; the peak
                          can be split by phase (`phase_of`: a function of the live processes' command lines)
  median / spread         how figures are quoted (these machines are noisy: medians of repeats, never one timing)
  table                   a fixed-width table for the printout
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

MIB = 1024 * 1024


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float  # the whole process tree's resident memory, at its largest
    returncode: int
    stdout: str
    stderr: str
    phase_peaks_mb: dict[str, float] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return []


def run_measured(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    *,
    cwd: Path | None = None,
    phase_of: Callable[[list[str]], str] | None = None,
    interval: float = 0.05,
    check: bool = True,
) -> Measured:
    """Run `cmd`, returning its wall seconds and the peak resident memory of its process tree. `phase_of` gets the
    command lines of the live processes at each sample and names the phase (e.g. 'dbt' while a dbt child runs);
    the peak and the time are then also kept per phase."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"levelup-bench-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out_path}.out", "w+") as out, open(f"{out_path}.err", "w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=out, stderr=err)
        root = psutil.Process(proc.pid)
        peak = 0.0
        phases: dict[str, float] = {}
        phase_time: dict[str, float] = {}
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            last = time.perf_counter()
            while not stop.is_set():
                procs = _tree(root)
                rss, lines = 0, []
                for p in procs:
                    try:
                        rss += p.memory_info().rss
                        if phase_of:
                            lines.append(" ".join(p.cmdline()))
                    except psutil.Error:
                        continue
                mb = rss / MIB
                peak = max(peak, mb)
                now = time.perf_counter()
                if phase_of and procs:
                    name = phase_of(lines)
                    phases[name] = max(phases.get(name, 0.0), mb)
                    phase_time[name] = phase_time.get(name, 0.0) + (now - last)
                last = now
                stop.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = proc.wait()
        seconds = time.perf_counter() - t0
        stop.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    for suffix in (".out", ".err"):
        Path(f"{out_path}{suffix}").unlink(missing_ok=True)
    if check and rc != 0:
        raise SystemExit(
            f"benchmark step failed (exit {rc}): {' '.join(cmd)}\n--- stdout ---\n{stdout[-3000:]}\n"
            f"--- stderr ---\n{stderr[-3000:]}"
        )
    return Measured(
        round(seconds, 3), round(peak, 1), rc, stdout, stderr,
        {k: round(v, 1) for k, v in phases.items()}, {k: round(v, 1) for k, v in phase_time.items()},
    )  # fmt: skip


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[float]) -> str:
    """`median (min-max, n)` for the printout."""
    if len(values) == 1:
        return f"{values[0]:.2f} (n=1)"
    return f"{median(values):.2f} ({min(values):.2f}-{max(values):.2f}, n={len(values)})"


def table(rows: list[Sequence[object]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
