"""Issue 17, no mirror needed: the static mission dashboards a release carries (they replace the SVG mission
report), the release exporter (check, snapshots, reuse when the rows are unchanged), the page format's errors,
the cleared-role tokens. Runs on the tiny hand-written release of tests/fixtures/exports/mini_release.py; the
snapshots are opened in headless Chromium from file:// (screenshots in test-artifacts/)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import cdp
import duckdb
import pandas as pd
import pytest
from dashboards_helpers import ARTIFACTS, PROJECT_ROOT, dom_table, outside_requests

from core.releases import point_current
from dashboards import auth, static
from dashboards.blocks import Column, Table, table_html
from dashboards.check import DashboardCheckError
from dashboards.export import export_dashboards
from dashboards.release import ReleaseData
from dashboards.spec import SpecError, load_page
from publish.exports.catalog import load_catalogue

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
_spec = importlib.util.spec_from_file_location("mini_release", FIXTURES / "mini_release.py")
mini_release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mini_release)
PAGES = PROJECT_ROOT / "dashboards" / "pages"
# the publisher passes every planned mart; the mini release lacks these, as if they were withheld
STATUSES = {**{m: "fresh" for m in mini_release.MARTS},
            **{m: "withheld" for m in ("geography", "indicators_harmonised", "custom_area_indicators")}}  # fmt: skip


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory) -> tuple[Path, Path, dict]:
    rel = mini_release.build(tmp_path_factory.mktemp("static") / "20260101T000000000Z")
    out = rel / "dashboards"
    static.write_assets(out)
    data = ReleaseData(rel)
    try:
        written = static.write_mission_pages(data, out, catalogue=load_catalogue(mini_release.CATALOGUE))
    finally:
        data.close()
    return rel, out, written


def test_one_static_page_per_mission_in_the_release(snapshots):
    _, out, written = snapshots
    assert sorted(written) == [1, 7, 8]
    for info in written.values():
        assert (out / info["page"]).is_file()
    # m1: over time + ranked (12 ITL1 areas); m7 headline: over time + ranked; m7 gap: over time + groups
    assert written[1]["charts"] == 2 and written[7]["charts"] == 4 and written[8]["charts"] == 0
    page8 = (out / written[8]["page"]).read_text()
    assert "requires record-level APS microdata (restricted zone)" in page8  # not available, with the reason


def test_gap_against_its_baseline_equals_the_mart(snapshots):
    rel, out, written = snapshots
    page = (out / written[7]["page"]).read_text()
    with duckdb.connect(str(rel / "marts.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select value, baseline_value, change_since_baseline from mission_gaps where metric_id = 'm7_hle_gap_male' "
            "order by period_start"
        ).fetchall()
    table = page[page.index('id="table-m7_hle_gap_male-gap"') :]
    table = table[: table.index("</table>")]
    shown = [float(v) for v in re.findall(r'data-col="value" data-value="([^"]+)"', table)]
    change = [float(v) for v in re.findall(r'data-col="change_since_baseline" data-value="([^"]+)"', table)]
    assert shown == pytest.approx([r[0] for r in rows]) and change == pytest.approx([r[2] for r in rows])
    assert "baseline (2017)" in page  # the dashed baseline line is labelled with its period
    assert "Change since the baseline (2017)</dt><dd>+0.2</dd>" in page  # the latest change, signed


def test_definitions_caveats_and_sources_beside_the_charts(snapshots):
    _, out, written = snapshots
    page = (out / written[7]["page"]).read_text()
    cats = {c["metric_id"]: c for c in load_catalogue(mini_release.CATALOGUE)}
    section = page[page.index('id="section-m7_hle_male"') :]
    aside = section[section.index('<aside class="defs">') : section.index("</aside>")]
    assert static.esc(cats["m7_hle_male"]["definition"]) in aside
    assert static.esc(cats["m7_hle_male"]["caveats"]) in aside
    assert "healthy-life-expectancy" in aside  # its source feed, linked when the registry knows its URL


def test_ranked_areas_highest_first_with_the_uk_as_reference(snapshots):
    rel, out, written = snapshots
    page = (out / written[1]["page"]).read_text()
    table = page[page.index('id="table-m1_gva_per_hour-ranked"') :]
    table = table[: table.index("</table>")]
    names = re.findall(r'data-col="area_name" data-value="([^"]+)"', table)
    with duckdb.connect(str(rel / "marts.duckdb"), read_only=True) as con:
        expected = [r[0] for r in con.execute(
            "select area_name from mission_metrics where metric_id = 'm1_gva_per_hour' and geography_level = 'itl1' "
            "and period_start = date '2023-01-01' order by value desc"
        ).fetchall()]  # fmt: skip
    assert names == expected and names[0] == "London"
    assert "United Kingdom £41.90" in page  # the reference line's label (UK value of that period)


def test_every_table_has_its_csv_file_with_what_it_shows(snapshots):
    rel, out, written = snapshots
    for info in written.values():
        page = (out / info["page"]).read_text()
        for csv_rel in info["csv"]:
            assert (out / csv_rel).is_file()
            assert f'href="{csv_rel.removeprefix("missions/")}"' in page
    gap = pd.read_csv(out / "missions" / "csv" / "mission-07-m7_hle_gap_male-gap.csv")
    with duckdb.connect(str(rel / "marts.duckdb"), read_only=True) as con:
        mart = con.execute(
            "select value from mission_gaps where metric_id = 'm7_hle_gap_male' order by 1"
        ).df()
    assert sorted(gap["value"]) == pytest.approx(sorted(mart["value"]))


def test_snapshots_load_nothing_from_outside_the_folder(snapshots):
    _, out, written = snapshots
    js = (out / "assets" / "plotly.min.js").read_text()
    assert js.startswith("/**") and "plotly.js v" in js[:500]  # the library itself, from the plotly package
    for info in written.values():
        page = (out / info["page"]).read_text()
        assert re.findall(r"<script src=\"([^\"]+)\"", page) == ["../assets/plotly.min.js"]
        assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', page)
        assert "@import" not in page and "url(http" not in page


@pytest.mark.skipif(not cdp.available(), reason="no /usr/bin/chromium (apt-get install -y chromium)")
def test_static_mission_page_renders_offline_in_chromium(snapshots):
    rel, out, written = snapshots
    browser = cdp.Browser()
    try:
        page = (out / written[7]["page"]).resolve()
        browser.goto(
            page.as_uri(), "document.querySelectorAll('figure.chart .js-plotly-plot').length === 4", 60
        )
        ARTIFACTS.mkdir(exist_ok=True)
        shot = browser.screenshot(ARTIFACTS / "dashboards-static-mission-07.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        rows = dom_table(browser, "table-m7_hle_gap_male-gap")
        assert len(rows) == 3 and rows[-1]["period"][0] == "2019-2021"
        assert outside_requests(browser.requests()) == []
        assert all(u.startswith("file://") for u in browser.requests()), browser.requests()
        assert browser.problems() == []
    finally:
        browser.close()


# -- the exporter -----------------------------------------------------------------------------------------------
@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    (d / "releases").mkdir(parents=True)
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(d))
    monkeypatch.delenv("LEVELUP_DASHBOARDS_PAGES_DIR", raising=False)
    return d


def _publish_mini(data: Path, release_id: str, edit_sql: str | None = None) -> tuple[Path, dict]:
    """Stage a mini release, run the exporter on it as the publisher does, then promote it."""
    build = mini_release.build(data / "releases" / f".building-{release_id}")
    if edit_sql:
        with duckdb.connect(str(build / "marts.duckdb")) as con:
            con.execute(edit_sql)
    result = export_dashboards(build, STATUSES)
    final = data / "releases" / release_id
    os.replace(build, final)
    point_current(data / "releases", final)
    return final, result


def test_exporter_checks_pages_writes_the_folder_and_reuses_unchanged_snapshots(data_dir, capsys):
    first, r1 = _publish_mini(data_dir, "20260101T000000000Z")
    assert r1["rebuilt"] and r1["reused_from"] is None
    assert "dashboards: " in capsys.readouterr().out  # the build cost is printed
    folder = first / "dashboards"
    for rel in [r1["index"], r1["validation"], *r1["pages"], *r1["missions"].values()]:
        assert (first / rel).is_file(), rel
    assert sorted(p.name for p in (folder / "pages").iterdir()) == sorted(p.name for p in PAGES.glob("*.yml"))
    report = json.loads((folder / "validation.json").read_text())
    assert report["ok"]
    status = {p["page"]: p["status"] for p in report["pages"]}
    assert status["missions"] == "ok" and status["area-profile"] == "unavailable"  # geography withheld here
    assert "Mission 7: Health" in (folder / "index.html").read_text()

    # the same rows: the next release copies the snapshots instead of rebuilding them
    second, r2 = _publish_mini(data_dir, "20260102T000000000Z")
    assert not r2["rebuilt"] and r2["reused_from"] == first.name
    a, b = folder / "missions" / "mission-07.html", second / "dashboards" / "missions" / "mission-07.html"
    assert a.read_bytes() == b.read_bytes()

    # one value of a mart the snapshots read changes: rebuilt, and the page shows the new value
    third, r3 = _publish_mini(
        data_dir, "20260103T000000000Z",
        "update mission_gaps set value = 99.5 where metric_id = 'm7_hle_gap_male' and period_start = date '2019-01-01'",
    )  # fmt: skip
    assert r3["rebuilt"] and r3["reused_from"] is None
    assert 'data-value="99.5"' in (third / "dashboards" / "missions" / "mission-07.html").read_text()


def test_a_broken_page_stops_the_release(data_dir, tmp_path, monkeypatch):
    pages = tmp_path / "pages"
    shutil.copytree(PAGES, pages)
    text = (
        (pages / "_template.yml")
        .read_text()
        .replace("    y: value\n    orientation: h", "    y: valeu\n    orientation: h")
    )
    (pages / "regional-employment.yml").write_text(text)
    monkeypatch.setenv("LEVELUP_DASHBOARDS_PAGES_DIR", str(pages))
    # the mini release has no indicators_harmonised: give the template's queries a table to bind against
    build = mini_release.build(data_dir / "releases" / ".building-20260101T000000000Z")
    with duckdb.connect(str(build / "marts.duckdb")) as con:
        con.execute(
            "create table indicators_harmonised as select *, area_name as x, 'RGN' as area_level, "
            "true as is_target_vintage from indicators"
        )
    with pytest.raises(DashboardCheckError) as err:
        export_dashboards(build, STATUSES)
    message = str(err.value)
    assert "page 'regional-employment' (regional-employment.yml)" in message
    assert "query 'latest'" in message and "unknown column 'valeu'" in message


def test_an_open_page_may_not_read_the_cleared_release(data_dir, tmp_path, monkeypatch):
    pages = tmp_path / "pages"
    shutil.copytree(PAGES, pages)
    leaky = (PAGES / "wellbeing-detail.yml").read_text().replace("access: cleared", "access: open")
    (pages / "wellbeing-open.yml").write_text(leaky)
    monkeypatch.setenv("LEVELUP_DASHBOARDS_PAGES_DIR", str(pages))
    build = mini_release.build(data_dir / "releases" / ".building-20260101T000000000Z")
    with pytest.raises(DashboardCheckError) as err:
        export_dashboards(build, STATUSES)
    assert "page 'wellbeing-open' (wellbeing-open.yml): an open page reads restricted table(s) " in str(
        err.value
    )
    assert "['m8_wellbeing_shares_detail']" in str(err.value)


# -- the page format, tokens, escaping ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda t: t.replace("owner:", "ownr:"), "owner: Field required"),
        (lambda t: t.replace("    type: radio", "    type: slider"), "filters.0.type"),
        (lambda t: t.replace("h.indicator = $indicator", "h.indicator = $indicatr", 1), "uses $indicatr, which is not a filter"),
        (lambda t: t.replace("    query: latest\n    x: area_name", "    query: lates\n    x: area_name"), "uses query 'lates', which is not declared"),
        (lambda t: t + "\n  - type: line\n    title: t\n    query: latest\n", "a line chart needs `x` and `y`"),
        (lambda t: "title: [unclosed", "not valid YAML"),
    ],
)  # fmt: skip
def test_page_file_errors_name_the_file_and_the_field(tmp_path, edit, expected):
    path = tmp_path / "my-page.yml"
    path.write_text(edit((PAGES / "_template.yml").read_text()))
    with pytest.raises(SpecError) as err:
        load_page(path)
    assert str(err.value).startswith("my-page.yml: ") and expected in str(err.value)


def test_every_shipped_page_file_loads():
    for path in PAGES.glob("*.yml"):
        spec = load_page(path)
        assert spec.owner and spec.components


def test_tokens_store_only_a_hash_and_give_the_cleared_role(tmp_path):
    tokens = tmp_path / "tokens.json"
    token = auth.add_token(tokens, "analyst one", "cleared")
    text = tokens.read_text()
    assert token not in text and auth.hash_token(token) in text
    assert oct(tokens.stat().st_mode & 0o777) == "0o600"
    assert auth.role_for(token, tokens) == "cleared"
    assert auth.role_for(token + "x", tokens) == "public"
    assert auth.role_for(None, tokens) == "public" and auth.role_for(token, None) == "public"
    public = auth.add_token(tokens, "viewer", "public")
    assert auth.role_for(public, tokens) == "public" and auth.role_for(token, tokens) == "cleared"


def test_table_cells_are_escaped_and_keep_the_unrounded_value():
    t = Table("t", "T", pd.DataFrame({"name": ["<script>alert(1)</script>"], "v": [1.23456]}),
              [Column("name", "Name"), Column("v", "V", fmt=lambda v, _r: f"{v:.1f}", numeric=True)])  # fmt: skip
    out = table_html(t, csv_href="/download/p/t.csv?a=1&b=2")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'data-value="1.23456">1.2</td>' in out
    assert 'href="/download/p/t.csv?a=1&amp;b=2"' in out
