"""Release mechanics on a tiny warehouse: atomic promotion, carry-over of a held-back mart, retention of the
last N releases, rollback, and that a promoted release is never modified afterwards."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest

from core.settings import get_settings
from publish import release as rel


@pytest.fixture
def settings(data_dir):
    s = get_settings()
    s.warehouse_dir.mkdir(parents=True)
    return s


def write_warehouse(settings, version: int) -> None:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.alpha as select range as id, ? as version from range(10)",
            [version],
        )
        con.execute(
            "create or replace table marts.beta as select range as id, ? as version from range(3)", [version]
        )


def publish(settings, version: int, plans=None) -> str:
    write_warehouse(settings, version)
    rid = rel.new_release_id()
    plans = plans or [rel.MartPlan("alpha", "warehouse"), rel.MartPlan("beta", "warehouse")]
    build = rel.stage_release(settings, plans, rid)
    rel.write_manifest(build, {"release_id": rid, "marts": {p.name: p.status for p in plans}})
    rel.promote(settings, build, rid)
    return rid


def digest(path) -> str:
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def version_in(settings, mart: str) -> int:
    with duckdb.connect(str(settings.current_release / "marts.duckdb"), read_only=True) as con:
        return con.execute(f"select max(version) from {mart}").fetchone()[0]


def test_promote_switches_current_and_keeps_old_release_untouched(settings):
    first = publish(settings, 1)
    before = digest(settings.releases_dir / first)
    second = publish(settings, 2)
    assert settings.current_release.resolve().name == second
    assert digest(settings.releases_dir / first) == before  # never modified
    assert version_in(settings, "alpha") == 2
    assert (settings.current_release / "parquet" / "alpha.parquet").exists()
    assert not list(settings.releases_dir.glob(".building-*"))


def test_held_back_mart_is_carried_over_from_the_previous_release(settings):
    publish(settings, 1)
    publish(
        settings, 2, [rel.MartPlan("alpha", "warehouse"), rel.MartPlan("beta", "previous", reasons=["x"])]
    )
    assert version_in(settings, "alpha") == 2
    assert version_in(settings, "beta") == 1


def test_retention_keeps_the_last_n_and_the_current(settings):
    ids = [publish(settings, i) for i in range(7)]
    removed = rel.prune(settings, keep=5)
    kept = [p.name for p in rel.list_releases(settings)]
    assert kept == ids[2:] and len(removed) == 2
    rel.rollback(settings, ids[2])
    rel.prune(settings, keep=1)  # the current (oldest) survives even though it is not among the newest
    assert settings.current_release.resolve().name == ids[2]
    assert {p.name for p in rel.list_releases(settings)} == {ids[2], ids[6]}


def test_rollback_to_previous_and_to_a_named_release(settings):
    a, b, c = (publish(settings, i) for i in range(3))
    assert rel.rollback(settings).name == b
    assert settings.current_release.resolve().name == b
    assert rel.rollback(settings, a).name == a
    assert version_in(settings, "alpha") == 0
    with pytest.raises(rel.PublishError, match="not found"):
        rel.rollback(settings, "19990101T000000000Z")
    assert json.loads((settings.current_release / "manifest.json").read_text())["release_id"] == a


def test_incomplete_builds_are_cleaned_and_never_current(settings):
    publish(settings, 1)
    ghost = settings.releases_dir / ".building-20990101T000000000Z"
    ghost.mkdir()
    (ghost / "marts.duckdb").write_bytes(b"partial")
    assert ghost not in rel.list_releases(settings)
    assert rel.clean_incomplete(settings) == [ghost]
    assert not ghost.exists()


def test_release_file_identifies_its_release(settings):
    publish(settings, 1)
    with duckdb.connect(str(settings.current_release / "marts.duckdb"), read_only=True) as con:
        rid = con.execute("select release_id from release_info").fetchone()[0]
    assert rid == settings.current_release.resolve().name
