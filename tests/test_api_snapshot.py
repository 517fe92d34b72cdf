"""Issue 16, "correct under change": each request reads one release snapshot. A publish, a rollback or a prune
during a request never fails it or mixes two releases; every answer names its release (body, ETag,
X-Release-Id); pages stay on the release of their first page.

Two releases are made from the real published one: A as published, and B with every harmonised value + 1000, so
any answer that mixed them would show it."""

from __future__ import annotations

import shutil
import threading
import time
import warnings

import httpx
import pytest

from core.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api_helpers import point_current, running_server, variant_release

from serve.app import create_app

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("api")]
A, B = "20990101T000000010Z", "20990101T000000011Z"
ONE = "/api/v1/data.json?indicator=employment-rate&geo=E06000001&time=2015"
LAD = "/api/v1/data.json?indicator=employment-rate&geoLevel=LAD&time=latest"
WALK = "/api/v1/data.json?indicator=employment-rate&geoLevel=RGN&time=all&limit=40"


@pytest.fixture
def two_releases(published, tmp_path):
    data = tmp_path / "data"
    variant_release(data, published.release, A)
    variant_release(data, published.release, B, ["update indicators_harmonised set value = value + 1000"])
    point_current(data, A)
    return data


def after_resolving(store, action) -> None:
    """Run `action(snapshot)` right after the store resolves a request's release, whichever way it does
    (`open_if_ready` for an already open current release, `open` otherwise)."""
    real_open, real_ready = store.open, store.open_if_ready

    def open_(release_id=None):
        snap = real_open(release_id)
        action(snap)
        return snap

    def ready(release_id=None):
        snap = real_ready(release_id)
        if snap is not None:
            action(snap)
        return snap

    store.open, store.open_if_ready = open_, ready


def value_of(body) -> float:
    (row,) = body["data"]
    return row["value"]


def test_a_promotion_between_resolving_and_reading_does_not_change_the_answer(two_releases):
    app = create_app(Settings(data_dir=two_releases), watch=False)
    with TestClient(app) as client:
        base = value_of(client.get(ONE).json())
        # promote / roll back mid-request
        after_resolving(
            app.state.releases, lambda snap: point_current(two_releases, B if snap.release_id == A else A)
        )
        first = client.get(ONE)  # resolved A; current became B before the query ran
        second = client.get(ONE)  # resolved B; current became A before the query ran
    assert first.json()["release"] == first.headers["x-release-id"] == A
    assert first.headers["etag"].startswith(f'"{A}.')
    assert value_of(first.json()) == pytest.approx(base)
    assert second.json()["release"] == second.headers["x-release-id"] == B
    assert value_of(second.json()) == pytest.approx(base + 1000)
    assert (two_releases / "releases" / "current").resolve().name == A


def test_pruning_the_release_a_request_holds_does_not_fail_it(two_releases):
    app = create_app(Settings(data_dir=two_releases), watch=False)
    pruned = []

    def promote_prune(snap):
        if not pruned:
            point_current(two_releases, B)
            shutil.rmtree(two_releases / "releases" / A)  # what prune() does to an old release
            pruned.append(A)

    with TestClient(app) as client:
        after_resolving(app.state.releases, promote_prune)
        held = client.get(LAD.replace("time=latest", "time=all"))
        after = client.get(ONE)
        gone = client.get(ONE + f"&release={A}")
    assert held.status_code == 200 and held.json()["release"] == A and held.json()["total"] > 5000
    assert after.json()["release"] == B
    assert gone.status_code == 404 and gone.json()["available"] == [B]


def test_concurrent_clients_never_see_a_mixed_or_failed_answer_while_current_flips(two_releases):
    """6 clients over a real socket for ~8 s while `current` is switched between A and B with the real
    rollback() ~every 10 ms (the server also watches `current` and opens a new release early)."""
    from publish.release import rollback

    settings = Settings(data_dir=two_releases, api_watch_interval=0.05)
    app = create_app(settings)
    with TestClient(create_app(Settings(data_dir=two_releases), watch=False)) as c:
        base = value_of(c.get(ONE + f"&release={A}").json())
        lad_total = c.get(LAD + f"&release={A}").json()["total"]
    problems: list[str] = []
    seen = {A: 0, B: 0}
    stop = threading.Event()
    lock = threading.Lock()

    def check(r: httpx.Response, url: str) -> str | None:
        if r.status_code != 200:
            problems.append(f"{url}: {r.status_code} {r.text[:200]}")
            return None
        rid = r.headers["x-release-id"]
        if not r.headers["etag"].startswith(f'"{rid}.'):
            problems.append(f"{url}: ETag {r.headers['etag']} does not name {rid}")
        if url.endswith(".csv") or "data.csv" in url:
            if f"\r\n{rid}," not in r.text:
                problems.append(f"{url}: CSV rows do not name {rid}")
            return rid
        body = r.json()
        if body["release"] != rid:
            problems.append(f"{url}: body names {body['release']}, header {rid}")
        offset = 1000 if rid == B else 0
        for row in body["data"]:
            here = (row["geoLevel"], row["areacd"], row["period_start"]) == ("LAD", "E06000001", "2015-01-01")
            if here and abs(row["value"] - (base + offset)) > 1e-6:
                problems.append(f"{url}: value {row['value']} is not release {rid}'s")
        with lock:
            seen[rid] += 1
        return rid

    def client(n: int):
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                for u in (ONE, LAD, ONE.replace("data.json", "data.csv")):
                    r = http.get(u)
                    check(r, u)
                    if u == LAD and r.status_code == 200 and r.json()["total"] != lad_total:
                        problems.append(f"{u}: total {r.json()['total']} != {lad_total}")
                # a paged walk: every page from the release of the first page
                r = http.get(WALK)
                first = check(r, WALK)
                while first and r.json()["next"]:
                    nxt = r.json()["next"]
                    r = http.get(nxt)
                    if check(r, nxt) != first:
                        problems.append(f"page {nxt} left release {first}")
                        break

    with running_server(app) as url:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        # at least 200 flips and 8 s of requests (a loaded machine flips slower; the bound keeps it finite)
        flips, started = 0, time.monotonic()
        while (
            not problems
            and (flips <= 200 or time.monotonic() < started + 8)
            and time.monotonic() < started + 120
        ):
            rollback(settings, B if flips % 2 == 0 else A)
            flips += 1
            time.sleep(0.01)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert problems == []
    assert flips > 200 and seen[A] > 20 and seen[B] > 20, (flips, seen)


def test_a_real_publish_during_requests(published, tmp_path, mirror):
    """The real publisher (write-audit-publish + promote) runs in another process while clients read."""
    import os
    import subprocess
    import sys

    data = published.copy_to(tmp_path / "data")
    before = (data / "releases" / "current").resolve().name
    app = create_app(Settings(data_dir=data, api_watch_interval=0.1))
    statuses, releases = [], set()
    stop = threading.Event()

    def client():
        with httpx.Client(base_url=url, timeout=60) as http:
            while not stop.is_set():
                r = http.get(ONE)
                statuses.append(r.status_code)
                if r.status_code == 200:
                    releases.add(r.json()["release"])

    env = {**os.environ, "LEVELUP_DATA_DIR": str(data), "LEVELUP_MIRROR": str(mirror)}
    code = (
        "from core.settings import get_settings; from publish.publisher import publish_release; "
        "s = get_settings(); b = s.warehouse_dir / 'last_build'; "
        "print(publish_release(s, dbt_manifest=b / 'manifest.json', dbt_run_results=b / 'run_results.json').release_id)"
    )
    with running_server(app) as url:
        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
        )
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        with httpx.Client(base_url=url) as http:
            now = http.get(ONE).json()["release"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = proc.stdout.strip().splitlines()[-1]
    assert after != before and now == after
    assert statuses and set(statuses) == {200}
    assert releases == {before, after}
