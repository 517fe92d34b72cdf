"""Issue 17, the dashboards follow the release: a release built from the mirror (`published`, through the real
`levelup run`) carries `dashboards/` (static mission dashboards that open offline, the page definitions, the
check report), the data dictionary links it, `levelup dashboards --check` passes on it and fails naming the page,
the query and the column of a broken page; a refresh that changes only the custom areas reuses the mission
snapshots, and its custom-area page shows the mart's numbers in Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import cdp
import duckdb
import pytest
from dashboards_helpers import (
    ARTIFACTS,
    LEVELUP,
    PROJECT_ROOT,
    chart_alternatives,
    dashboards_server,
    dom_table,
    marts,
    num,
    open_page,
    outside_requests,
)

pytestmark = [pytest.mark.mirror, pytest.mark.xdist_group("dashboards_release")]  # one refresh
PAGES = PROJECT_ROOT / "dashboards" / "pages"


def _levelup(*args, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, **env}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run([LEVELUP, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=PROJECT_ROOT)  # fmt: skip


def test_the_release_carries_its_dashboards(published):
    assert published.returncode == 0, published.stdout[-3000:]
    rel = published.release
    manifest = json.loads((rel / "manifest.json").read_text())
    exp = manifest["exports"]["dashboards"]
    for path in [exp["index"], exp["validation"], *exp["pages"], *exp["missions"].values()]:
        assert (rel / path).is_file(), path
    assert set(exp["missions"]) == {str(m) for m in range(1, 13)}
    assert {Path(p).name for p in exp["pages"]} == {p.name for p in PAGES.glob("*.yml")}
    for p in exp["pages"]:  # the definitions the release was checked with
        assert (rel / p).read_bytes() == (PAGES / Path(p).name).read_bytes()
    report = json.loads((rel / exp["validation"]).read_text())
    assert report["ok"] and report["release_id"] == rel.name
    status = {p["page"]: p["status"] for p in report["pages"]}
    assert {status[p] for p in ("area-profile", "indicator-explorer", "missions", "custom-areas")} == {"ok"}
    assert status["wellbeing-detail"] == "unavailable"  # no cleared release in this data dir
    assert exp["rebuilt"] and exp["seconds"] > 0
    assert (
        f"dashboards: {len(report['pages'])} pages checked, 12 mission snapshots built in" in published.stdout
    )
    # the data dictionary links the dashboards, and the SVG mission report is gone
    dictionary = (rel / "docs" / "index.html").read_text()
    assert 'href="../dashboards/index.html"' in dictionary
    assert not (rel / "report").exists() and "report" not in manifest["exports"]
    index = (rel / "dashboards" / "index.html").read_text()
    for m in range(1, 13):
        assert f'href="missions/mission-{m:02d}.html"' in index


@pytest.mark.skipif(not cdp.available(), reason="no /usr/bin/chromium (apt-get install -y chromium)")
def test_the_release_mission_pages_open_offline(published):
    rel = published.release
    browser = cdp.Browser(timeout=90)
    try:
        for m in (1, 4, 7):
            page = rel / "dashboards" / "missions" / f"mission-{m:02d}.html"
            browser.goto(page.as_uri(), "document.querySelectorAll('figure.chart').length > 0 && "
                         "document.querySelectorAll('figure.chart .js-plotly-plot').length === "
                         "document.querySelectorAll('figure.chart').length", 90)  # fmt: skip
            for chart in chart_alternatives(browser):
                assert chart["rendered"] and chart["summary"] and chart["rows"] > 0, chart
        with marts(rel) as con:
            expected = con.execute(
                "select value, change_since_baseline from mission_gaps where metric_id = 'm7_hle_gap_female' "
                "and status = 'ok' and value is not null order by period_start"
            ).fetchall()
        rows = dom_table(browser, "table-m7_hle_gap_female-gap")
        assert [(num(r["value"]), num(r["change_since_baseline"])) for r in rows] == [
            (pytest.approx(v), pytest.approx(c)) for v, c in expected
        ]
        assert all(u.startswith("file://") for u in browser.requests()), outside_requests(browser.requests())
        assert browser.problems() == []
        ARTIFACTS.mkdir(exist_ok=True)
        browser.screenshot(ARTIFACTS / "dashboards-release-static-mission-07.png")
    finally:
        browser.close()


def test_check_passes_on_the_release_and_names_a_broken_page(published, tmp_path):
    env = {"LEVELUP_DATA_DIR": str(published.data)}
    ok = _levelup("dashboards", "--check", env=env, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "dashboards check on release " + published.release.name + ": OK" in ok.stdout
    assert "dashboards check cost:" in ok.stdout
    pages = tmp_path / "pages"
    shutil.copytree(PAGES, pages)
    broken = (
        (PAGES / "_template.yml")
        .read_text()
        .replace(
            "    select h.area_name, h.area_code, h.value, h.period_start\n",
            "    select h.area_name, h.area_code, h.valeu, h.period_start\n",
        )
    )
    (pages / "regional-jobs.yml").write_text(broken)
    (pages / "jobs-two.yml").write_text(
        (PAGES / "_template.yml")
        .read_text()
        .replace("from indicators_harmonised h\n", "from indicator_harmonised h\n", 1)
    )
    bad = _levelup(
        "dashboards", "--check", env={**env, "LEVELUP_DASHBOARDS_PAGES_DIR": str(pages)}, timeout=300
    )
    assert bad.returncode == 1, bad.stdout
    assert "page 'regional-jobs' (regional-jobs.yml), query 'latest': unknown column 'valeu'" in bad.stdout
    assert (
        "page 'jobs-two' (jobs-two.yml): reads table(s) ['indicator_harmonised'], which are not marts"
        in bad.stdout
    )
    assert (
        "FAILED" in bad.stdout and "OK          digital-connectivity" in bad.stdout
    )  # the others still pass


@pytest.fixture(scope="module")
def refreshed(published, tmp_path_factory, mirror):
    """A copy of the published data dir, refreshed (`levelup refresh-feeds custom-areas`) after an analyst dropped
    two custom areas."""
    data = published.copy_to(tmp_path_factory.mktemp("dashboards-refresh") / "data")
    (data / "custom_areas").mkdir(exist_ok=True)
    (data / "custom_areas" / "areas.csv").write_text(
        # the additive indicators at district level today are Northern Ireland's small-area GVA
        "custom_area,member_code,description\n"
        "Belfast and Lisburn,N09000003,Two councils and a code that matches nothing\n"
        "Belfast and Lisburn,N09000007,\n"
        "Belfast and Lisburn,N09000099,\n"
        "Blackstaff,95GG01S1,Two NI small areas\n"
        "Blackstaff,95GG01S2,\n"
    )
    run = _levelup(
        "refresh-feeds", "custom-areas", env={"LEVELUP_DATA_DIR": str(data), "LEVELUP_MIRROR": str(mirror)}
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return data, run


def test_a_refresh_that_leaves_the_mission_marts_unchanged_reuses_their_snapshots(published, refreshed):
    data, run = refreshed
    rel = (data / "releases" / "current").resolve()
    assert rel.name != published.release.name
    manifest = json.loads((rel / "manifest.json").read_text())
    assert manifest["marts"]["custom_area_indicators"]["status"] == "fresh"
    assert manifest["marts"]["mission_metrics"]["status"] == "unchanged"
    exp = manifest["exports"]["dashboards"]
    assert exp["reused_from"] == published.release.name and not exp["rebuilt"]
    for m in ("01", "07", "12"):
        page = f"dashboards/missions/mission-{m}.html"
        assert (rel / page).read_bytes() == (published.release / page).read_bytes()
    assert json.loads((rel / exp["validation"]).read_text())[
        "ok"
    ]  # the pages were checked again all the same
    assert f"reused from {published.release.name}" in run.stdout


@pytest.mark.skipif(not cdp.available(), reason="no /usr/bin/chromium (apt-get install -y chromium)")
def test_custom_area_page_shows_the_marts_numbers(refreshed):
    data, _ = refreshed
    rel = (data / "releases" / "current").resolve()
    with marts(rel) as con:
        latest = con.execute(
            """
            select feed_id || '|' || indicator, value, status, members_matched from custom_area_indicators
            where custom_area = 'Belfast and Lisburn'
            qualify row_number() over (partition by feed_id, indicator order by period_start desc, period_end desc) = 1
            """
        ).fetchall()
    assert latest, "the refresh built no custom-area rows"
    assert {r[3] for r in latest} == {2}  # two councils matched, the third code did not
    browser = cdp.Browser(timeout=90)
    try:
        with dashboards_server(data) as (url, _lines):
            open_page(browser, f"{url}/custom-areas?custom_area=Belfast+and+Lisburn")
            assert browser.js("document.querySelector('#page-title').innerText") == "Custom areas"
            facts = browser.js(
                "Object.fromEntries(Array.from(document.querySelectorAll('#facts-custom-area dt'))"
                ".map(dt => [dt.innerText, dt.nextElementSibling.innerText]))"
            )
            assert facts["Members listed"] == "3" and facts["Matched"] == "2" and facts["Not matched"] == "1"
            assert facts["Codes not matched"] == "N09000099"
            rows = dom_table(browser, "table-latest")
            shown = {r["_key"][0]: r for r in rows}
            assert set(shown) == {r[0] for r in latest}
            for key, value, status, _m in latest:
                assert num(shown[key]["value"]) == (pytest.approx(value) if value is not None else None), key
                assert shown[key]["status"][1] == status
            for chart in chart_alternatives(browser):
                assert chart["rendered"] and chart["summary"] and chart["rows"] > 0, chart
            assert outside_requests(browser.requests()) == [] and browser.problems() == []
            ARTIFACTS.mkdir(exist_ok=True)
            browser.screenshot(ARTIFACTS / "dashboards-custom-areas.png")
    finally:
        browser.close()


def _with_similar_areas(release: Path, dest: Path, *, distance_column: str = "distance") -> Path:
    """A copy of the release with hand-written similar-areas marts, in the columns the analysis helper publishes."""
    copy = dest / release.name
    shutil.copytree(release, copy, ignore=shutil.ignore_patterns("dashboards", "csv", "parquet", "docs"))
    with duckdb.connect(str(copy / "marts.duckdb")) as con:
        con.execute(
            f"""
            drop table if exists similar_areas;
            drop table if exists area_clusters;
            create table similar_areas as select * from (values
                ('global', 'E08000039', 1, 'E08000035', 'Leeds', 1.25),
                ('global', 'E08000039', 2, 'E08000025', 'Birmingham', 1.5),
                ('global', 'E08000039', 3, 'E06000018', 'Nottingham', 1.75)
            ) as t(model, area_code, rank, neighbour_code, neighbour_name, {distance_column});
            create table area_clusters as select * from (values ('global', 'E08000039', 'Sheffield', 3, 0.8))
                as t(model, area_code, area_name, cluster, distance_to_centroid);
            """
        )
    return copy


def test_area_profile_shows_similar_areas_when_the_marts_exist(published, tmp_path):
    from dashboards.blocks import downloadable
    from dashboards.check import check_pages
    from dashboards.pagetypes import PageSet
    from dashboards.pagetypes.area_profile import AreaProfile
    from dashboards.pagetypes.base import PageContext
    from dashboards.release import ReleaseData

    copy = _with_similar_areas(published.release, tmp_path)
    data = ReleaseData(copy)
    try:
        with data.connect() as con:
            blocks = AreaProfile().content(PageContext(data, con), {"area": "E08000039"})
        table = downloadable(blocks)["similar-global"]
        assert table.data[["rank", "neighbour_code", "distance"]].values.tolist() == [
            [1, "E08000035", 1.25], [2, "E08000025", 1.5], [3, "E06000018", 1.75]
        ]  # fmt: skip
        links = [c.href(r) for r in table.data.to_dict("records") for c in table.columns if c.href]
        assert links[0] == "/area?area=E08000035"  # each neighbour links to its own profile
        report = check_pages(PageSet(lambda: PAGES), data)
        area = next(p for p in report.pages if p.page == "area-profile")
        assert area.status == "ok" and not any("skipped" in n for n in area.notes)  # the optional queries ran
    finally:
        data.close()
    # the optional marts are checked when they are there: a renamed column fails, named
    wrong = _with_similar_areas(published.release, tmp_path / "wrong", distance_column="dist")
    data = ReleaseData(wrong)
    try:
        report = check_pages(PageSet(lambda: PAGES), data)
    finally:
        data.close()
    assert not report.ok
    assert any("query 'similar'" in p and "'distance'" in p for p in report.failures()), report.text()
