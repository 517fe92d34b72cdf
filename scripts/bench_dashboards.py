"""Benchmark the dashboards on the current release: build and sync cost, page cost, server start and memory.

Usage: LEVELUP_DATA_DIR=... python scripts/bench_dashboards.py [--runs N]   (`make bench-dashboards`)

Prints medians over N runs, each next to a peer measured side by side in the same run:
  - the release exporter on a staged copy of the current release: a full build (check + 12 mission snapshots)
    against a build that reuses the previous snapshots (rows unchanged) and against the check alone;
  - each page type rendered server-side (queries + blocks + Dash components) against its main query alone;
  - `levelup dashboards` from process start to its first /healthz answer, and its RSS after one view of
    every page type.
Target (issue 17): build or sync <= 60 s on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.releases import current_dir, point_current  # noqa: E402
from core.settings import get_settings  # noqa: E402


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_export(release: Path, runs: int) -> list[tuple[str, float, str]]:
    from core.releases import read_manifest
    from dashboards.check import check_release
    from dashboards.export import export_dashboards

    statuses = {m: v["status"] for m, v in read_manifest(release)["marts"].items()}
    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboards-"))
    data = tmp / "data"
    (data / "releases").mkdir(parents=True)
    os.environ["LEVELUP_DATA_DIR"] = str(data)
    shutil.copytree(release, data / "releases" / release.name, ignore=shutil.ignore_patterns("dashboards"))
    staged = data / "releases" / ".building-29990101T000000000Z"
    shutil.copytree(release, staged, ignore=shutil.ignore_patterns("dashboards"))

    def full():
        cur = data / "releases" / "current"
        if cur.is_symlink():
            cur.unlink()  # no previous release: nothing to reuse
        export_dashboards(staged, statuses)

    t_full = median_time(full, runs)
    export_dashboards(data / "releases" / release.name, statuses)  # the previous release, with its snapshots
    point_current(data / "releases", data / "releases" / release.name)
    t_reuse = median_time(lambda: export_dashboards(staged, statuses), runs)
    t_check = median_time(lambda: check_release(staged, known_marts=set(statuses)), runs)
    shutil.rmtree(tmp, ignore_errors=True)
    return [
        ("export: full build (check + 12 mission snapshots)", t_full, "1.00"),
        ("export: rows unchanged, snapshots reused", t_reuse, f"{t_reuse / t_full:.2f} of full"),
        ("check alone (levelup dashboards --check)", t_check, f"{t_check / t_full:.2f} of full"),
    ]


def bench_pages(release_dir: Path, runs: int) -> list[tuple[str, float, str]]:
    from dashboards.blocks import to_dash
    from dashboards.pagetypes import PageSet
    from dashboards.pagetypes.area_profile import LATEST_SQL
    from dashboards.pagetypes.base import PageContext
    from dashboards.pagetypes.indicator_explorer import LEVEL_VALUES_SQL
    from dashboards.pagetypes.missions import TREND_SQL
    from dashboards.release import ReleaseData

    data = ReleaseData(release_dir)
    pages = PageSet(lambda: get_settings().dashboards_pages_dir)
    rows = []
    cases = [
        ("area-profile", {"area": "E08000039"}, LATEST_SQL, {"area": "E08000039"}),
        ("indicator-explorer", {"indicator": "employment-rate", "level": "LAD", "areas": []}, LEVEL_VALUES_SQL,
         {"feed_id": "employment-rate", "indicator": "Employment rate", "level": "LAD"}),
        ("missions", {"mission": "7"}, TREND_SQL, {"metric_id": "m7_hle_male"}),
        ("digital-connectivity", None, None, None),
    ]  # fmt: skip
    with data.connect() as con:
        ctx = PageContext(data, con)
        for page_id, values, peer_sql, peer_params in cases:
            page = pages.by_id(page_id)
            if values is None:
                values = {f.name: f.value for f in page.filters(ctx)}

            def render(page=page, values=values):
                to_dash(page.content(ctx, values), lambda k: k)

            render()
            t = median_time(render, runs)
            if peer_sql:
                q = median_time(lambda s=peer_sql, p=peer_params: con.execute(s, p).fetchall(), runs)
                rows.append(
                    (f"page {page_id}: render", t, f"{t / q:.0f}x its main query ({q * 1000:.1f} ms)")
                )
            else:
                rows.append((f"page {page_id} (YAML): render", t, ""))
    data.close()
    return rows


def bench_server(data_dir: Path, runs: int) -> list[tuple[str, float, str]]:
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data_dir)}
    exe = str(Path(sys.executable).parent / "levelup")
    starts, rss = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.Popen(
            [exe, "dashboards", "--port", "0"], env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            url = None
            while url is None:
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError("server did not start")
                if line.startswith("Dashboards on "):
                    url = line.split()[2].rstrip("/")
            while httpx.get(url + "/healthz", timeout=10).status_code != 200:
                time.sleep(0.05)
            starts.append(time.perf_counter() - t)
            for path in [
                "/",
                "/area",
                "/indicator",
                "/mission",
                "/custom-areas",
                "/pages/digital-connectivity",
            ]:
                httpx.get(url + path, timeout=30)
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = max(rss, int(line.split()[1]) // 1024)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
    return [
        ("server: process start to first /healthz", statistics.median(starts), f"RSS {rss} MB (shell pages)")
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = get_settings()
    release = current_dir(settings.releases_dir)
    if release is None:
        print(f"no current release under {settings.releases_dir}: run `levelup run` first", file=sys.stderr)
        return 2
    print(f"release {release.name}, {args.runs} runs each, {os.cpu_count()} cores")
    data_dir = settings.data_dir
    rows = (
        bench_pages(release, max(args.runs, 5))
        + bench_server(data_dir, args.runs)
        + bench_export(release, args.runs)
    )
    width = max(len(r[0]) for r in rows)
    for name, seconds, peer in rows:
        print(f"{name:<{width}}  {seconds:8.3f} s  {peer}")
    worst = max(s for n, s, _ in rows if n.startswith("export"))
    print(f"build/sync cost: {worst:.1f} s (target <= 60 s): {'OK' if worst <= 60 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
