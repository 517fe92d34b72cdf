"""Load benchmark of the data API (`make bench-api`): 8 concurrent clients on loopback while a real refresh
publishes and promotes a new release.

What it does, bounded (~60 s):
  1. copies a published data directory (LEVELUP_DATA_DIR, default ./data, or --data) into a temporary folder, so
     the real one is untouched; it needs a release and the warehouse's last build (run `make run` first);
  2. starts `levelup serve` on 127.0.0.1 (a free port, LEVELUP_API_WORKERS processes) over the copy;
  3. for each query kind - one indicator x one area (the series of a random LAD), and one whole indicator at LAD
     (every LAD, every period) - runs 8 client threads (keep-alive HTTP/1.1) twice, side by side in this run:
     "quiet" for a fixed time, then "refresh" for as long as the real publisher (`publish_release`: stage the
     marts, disclosure scan, Great Expectations, exports, manifest, atomic promotion) takes in another process;
  4. prints, per kind and phase: requests, throughput, p50/p95/p99/max latency, errors (any non-200, or an answer
     whose body, ETag and X-Release-Id do not name the same release), and the releases answered from; then the
     refresh/quiet ratio of the p95 and the issue's target (p95 <= 20 ms for one indicator x one area, 0 errors).

    python scripts/bench_api.py [--data DIR] [--quiet-seconds 5] [--clients 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAD_INDICATORS = [
    "employment-rate",
    "gross-value-added-per-hour-worked",
    "happiness",
    "satisfaction",
    "anxiety",
]
PUBLISH = (
    "from core.settings import get_settings; from publish.publisher import publish_release; "
    "s = get_settings(); b = s.warehouse_dir / 'last_build'; "
    "print('PUBLISHED', publish_release(s, dbt_manifest=b / 'manifest.json', "
    "dbt_run_results=b / 'run_results.json').release_id, flush=True)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch_json(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return json.loads(r.read())
    finally:
        conn.close()


class Phase:
    def __init__(self, name: str):
        self.name = name
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.releases: dict[str, int] = {}
        self.seconds = 0.0
        self.lock = threading.Lock()

    def row(self) -> str:
        lat = sorted(self.latencies)
        if len(lat) >= 2:
            q = statistics.quantiles(lat, n=100, method="inclusive")
            p50, p95, p99 = q[49], q[94], q[98]
        else:
            p50 = p95 = p99 = lat[0] if lat else float("nan")
        rel = ", ".join(f"{r[-8:]}x{n}" for r, n in sorted(self.releases.items()))
        return (
            f"{self.name:<34}{len(lat):>8}{len(lat) / self.seconds if self.seconds else 0:>9.1f}"
            f"{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}{(lat[-1] if lat else 0):>9.1f}{len(self.errors):>8}  {rel}"
        )

    def p95(self) -> float:
        lat = sorted(self.latencies)
        return statistics.quantiles(lat, n=100, method="inclusive")[94] if len(lat) >= 2 else float("nan")


def client(port: int, make_path, phase: Phase, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        path = make_path(rng)
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            ms = (time.perf_counter() - t0) * 1000
            rid = r.getheader("X-Release-Id") or ""
            problem = None
            if r.status != 200:
                problem = f"{r.status} {path}: {body[:200]!r}"
            elif not (r.getheader("ETag") or "").startswith(f'"{rid}.'):
                problem = f"ETag {r.getheader('ETag')} does not name {rid}"
            elif not body.startswith(b'{"release":"' + rid.encode() + b'"'):
                problem = f"body does not name {rid}: {body[:60]!r}"
        except (OSError, http.client.HTTPException) as exc:
            ms, rid, problem = (time.perf_counter() - t0) * 1000, "", f"{type(exc).__name__}: {exc}"
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        with phase.lock:
            if problem:
                phase.errors.append(problem)
            else:
                phase.latencies.append(ms)
                phase.releases[rid] = phase.releases.get(rid, 0) + 1
    conn.close()


def run_phase(port: int, name: str, make_path, clients: int, until) -> Phase:
    phase = Phase(name)
    stop = threading.Event()
    threads = [
        threading.Thread(target=client, args=(port, make_path, phase, stop, i), daemon=True)
        for i in range(clients)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    until()
    stop.set()
    for t in threads:
        t.join(timeout=120)
    phase.seconds = time.perf_counter() - t0
    print(f"  {name}: {len(phase.latencies)} answers, {len(phase.errors)} errors", flush=True)
    return phase


def publisher(env: dict, log: Path):
    """`until` for a refresh phase: run the real publisher in another process; return when it has promoted."""

    def until():
        t0 = time.perf_counter()
        with open(log, "a") as fh:
            proc = subprocess.run(
                [sys.executable, "-c", PUBLISH],
                env=env,
                stdout=subprocess.PIPE,
                stderr=fh,
                text=True,
                timeout=300,
            )
        promoted = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("PUBLISHED")]
        if proc.returncode != 0 or not promoted:
            raise SystemExit(f"the publisher failed (exit {proc.returncode}); see {log}")
        print(f"  publish + promote of {promoted[0]} took {time.perf_counter() - t0:.1f} s", flush=True)
        time.sleep(1.0)  # and a second of answers from the new release

    return until


def main() -> int:
    from core.settings import get_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data", type=Path, default=None, help="a published data directory (default: LEVELUP_DATA_DIR)"
    )
    ap.add_argument("--quiet-seconds", type=float, default=5.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument(
        "--workers", type=int, default=None, help="server processes (default LEVELUP_API_WORKERS, 2)"
    )
    args = ap.parse_args()
    args.workers = args.workers or get_settings().api_workers
    source = (args.data or get_settings().data_dir).resolve()
    if not (source / "releases" / "current").exists() or not (source / "warehouse" / "last_build").is_dir():
        print(f"{source} has no published release and warehouse build: run `make run` first (or pass --data)")
        return 2
    with tempfile.TemporaryDirectory(prefix="levelup-bench-api-") as tmp:
        data = Path(tmp) / "data"
        print(f"copying {source} -> {data} ...", flush=True)
        shutil.copytree(source, data, symlinks=True, ignore=shutil.ignore_patterns("dagster_home"))
        env = {**os.environ, "LEVELUP_DATA_DIR": str(data), "LEVELUP_API_WATCH_INTERVAL": "0.2"}
        env.pop("DAGSTER_HOME", None)
        port = free_port()
        log = Path(tmp) / "bench.log"
        server_log = log.open("w")  # noqa: SIM115 (closed with the server, below)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "orchestration.cli.main",
                "serve",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--workers",
                str(args.workers),
            ],
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    first = fetch_json(port, "/api/v1/releases")["release"]
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        print(log.read_text()[-3000:])
                        return 1
                    time.sleep(0.2)
            lads = [
                a["areacd"]
                for a in fetch_json(port, "/api/v1/geo/related/K02000001/children?geoLevel=LAD")["areas"]
            ]
            print(
                f"serving release {first} on 127.0.0.1:{port} ({args.workers} worker process(es)); "
                f"{len(lads)} LADs; {args.clients} clients; {os.cpu_count()} CPUs",
                flush=True,
            )

            def one(rng):
                return f"/api/v1/data.json?indicator={rng.choice(LAD_INDICATORS)}&geo={rng.choice(lads)}&time=all"

            def lad(rng):
                return f"/api/v1/data.json?indicator={rng.choice(LAD_INDICATORS)}&geoLevel=LAD&time=all"

            def quiet():
                time.sleep(args.quiet_seconds)

            for path in (one(random.Random(0)), lad(random.Random(0))):  # warm up
                fetch_json(port, path)
            phases = [
                run_phase(port, "1 indicator x 1 area, quiet", one, args.clients, quiet),
                run_phase(port, "1 indicator x 1 area, refresh", one, args.clients, publisher(env, log)),
                run_phase(port, "1 indicator x all LADs, quiet", lad, args.clients, quiet),
                run_phase(port, "1 indicator x all LADs, refresh", lad, args.clients, publisher(env, log)),
            ]
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            server_log.close()
        print()
        print(
            f"{'phase':<34}{'answers':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
            f"{'errors':>8}  releases answered from (id suffix x answers)"
        )
        for p in phases:
            print(p.row())
        print()
        for i, kind in ((0, "1 indicator x 1 area"), (2, "1 indicator x all LADs")):
            print(f"{kind}: p95 during refresh / quiet = {phases[i + 1].p95() / phases[i].p95():.2f}")
        errors = sum(len(p.errors) for p in phases)
        for p in phases:
            for e in p.errors[:3]:
                print(f"  error in {p.name}: {e}")
        swapped = all(len(p.releases) >= 2 for p in phases if p.name.endswith("refresh"))
        target = phases[1].p95() <= 20.0 and phases[0].p95() <= 20.0
        print(
            f"target (1 indicator x 1 area p95 <= 20 ms, quiet and during refresh): {'met' if target else 'MISSED'}; "
            f"errors: {errors}; every refresh phase answered from old and new release: {swapped}"
        )
        return 0 if errors == 0 and swapped else 1


if __name__ == "__main__":
    raise SystemExit(main())
