"""Issue 17, tested as a person would: the real `levelup dashboards` server (started and stopped here, 127.0.0.1,
a free port) over a copy of the release the session built from the mirror (`published`), driven by headless
Chromium over the DevTools protocol. The numbers a page shows are checked against the marts with SQL written
here (one area, one indicator, one mission gap), the keyboard alone changes a view, every chart has its text
alternative, no request leaves loopback, a page added from the template appears with no restart, a promotion
re-points the pages, and restricted pages need the cleared role. Screenshots: test-artifacts/dashboards-*.png."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import cdp
import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dashboards_helpers import (
    ARTIFACTS,
    LEVELUP,
    PROJECT_ROOT,
    WAIT_RENDERED,
    chart_alternatives,
    dashboards_server,
    dom_table,
    marts,
    num,
    open_page,
    outside_requests,
    release_only_data_dir,
)

from core.releases import point_current
from publish.exports.catalog import load_catalogue

pytestmark = [
    pytest.mark.mirror,
    pytest.mark.xdist_group("dashboards_browser"),  # one server and one browser
    pytest.mark.skipif(not cdp.available(), reason="no /usr/bin/chromium (apt-get install -y chromium)"),
]
SHEFFIELD, YORKSHIRE, ENGLAND, UK = "E08000039", "E12000003", "E92000001", "K02000001"
CLEARED_ROWS = [
    # metric, level, area, parent, year, breakdown, value, share, status, sdc
    ("m8_low_life_satisfaction", "uk", UK, None, 2023, "sex", "female", 5.1, "ok", None),
    ("m8_low_life_satisfaction", "uk", UK, None, 2023, "sex", "male", 5.7, "ok", None),
    ("m8_low_life_satisfaction", "uk", UK, None, 2024, "sex", "female", 4.9, "ok", None),
    ("m8_low_life_satisfaction", "uk", UK, None, 2024, "sex", "male", 5.5, "ok", None),
    ("m8_low_life_satisfaction", "lad", "E06000053", "E92000001", 2024, "sex", "female", None, "suppressed", "primary"),
    ("m8_low_life_satisfaction", "lad", "E06000053", "E92000001", 2024, "sex", "male", None, "suppressed", "secondary"),
]  # fmt: skip


def _cleared_release(data: Path) -> Path:
    """A cleared release laid out as restricted.cleared publishes it, with a few hand-written cells."""
    rel = data / "restricted" / "releases" / "20260101T000000000Z"
    (rel / "parquet").mkdir(parents=True)
    cols = ["metric_id", "area_level", "area_code", "parent_code", "survey_year", "breakdown", "breakdown_value",
            "share_pct", "status", "sdc_code"]  # fmt: skip
    df = pd.DataFrame(CLEARED_ROWS, columns=cols)
    df["period_start"] = pd.to_datetime(df["survey_year"].astype(str) + "-04-01").dt.date
    df["period_end"] = pd.to_datetime((df["survey_year"] + 1).astype(str) + "-03-31").dt.date
    df["lci_95"], df["uci_95"], df["unweighted_count"] = df["share_pct"] - 0.5, df["share_pct"] + 0.5, 120
    pq.write_table(
        pa.Table.from_pandas(df, preserve_index=False), rel / "parquet" / "m8_wellbeing_shares_detail.parquet"
    )
    (rel / "manifest.json").write_text("{}")
    point_current(rel.parent, rel)
    return rel


@pytest.fixture(scope="module")
def site(published, tmp_path_factory):
    assert published.returncode == 0, published.stdout[-3000:]
    root = tmp_path_factory.mktemp("dashboards-site")
    data = release_only_data_dir(published.release, root / "data")
    _cleared_release(data)
    pages = root / "pages"
    shutil.copytree(PROJECT_ROOT / "dashboards" / "pages", pages)
    tokens = root / "secrets" / "dashboards-tokens.json"
    env = {"LEVELUP_DATA_DIR": str(data), "LEVELUP_DASHBOARDS_TOKENS_FILE": str(tokens)}
    made = subprocess.run([LEVELUP, "dashboards-token", "cleared tester"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    with dashboards_server(data, pages_dir=pages, tokens_file=tokens) as (url, lines):
        yield {"url": url, "data": data, "pages": pages, "token": token, "release": published.release,
               "tokens": tokens, "start": lines}  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    b = cdp.Browser(width=1280, height=1000, timeout=60)
    yield b
    b.close()


def _shot(browser, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = browser.screenshot(ARTIFACTS / f"dashboards-{name}.png")
    assert path.stat().st_size > 20_000, f"{name}: screenshot suspiciously small (blank page?)"


def _clean(browser) -> None:
    """Every chart rendered with a summary and a data table; nothing fetched from outside; no error logged."""
    for chart in chart_alternatives(browser):
        assert chart["rendered"], chart
        assert chart["summary"].strip() and chart["rows"] > 0, chart
        assert chart["describedby"] == f"summary-{chart['key']}", chart
    assert outside_requests(browser.requests()) == []
    assert browser.problems() == []


def test_server_starts_on_loopback_with_its_cost_printed(site):
    assert site["url"].startswith("http://127.0.0.1:")
    text = "".join(site["start"])
    assert "dashboards start-up cost:" in text and site["release"].name in text
    health = httpx.get(site["url"] + "/healthz", timeout=30).json()
    assert health["ok"] and health["release_id"] == site["release"].name
    assert {"area-profile", "indicator-explorer", "missions", "custom-areas", "digital-connectivity"} <= set(
        health["pages"]
    )
    # a 'self'-only policy: a page could not reach another host even if a script tried
    csp = httpx.get(site["url"] + "/", timeout=30).headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp and "http" not in csp


def test_area_profile_shows_the_marts_values_parents_and_ranks(site, browser):
    open_page(browser, f"{site['url']}/area?area={SHEFFIELD}")
    assert browser.js("document.querySelector('#page-title').innerText") == "Area profile: Sheffield"
    rows = {r["_key"][0]: r for r in dom_table(browser, "table-latest")}
    with marts(site["release"]) as con:
        expected = con.execute(
            f"""
            with latest as (
                select feed_id, indicator, period_start, period_end, value from indicators_harmonised
                where is_target_vintage and area_code = '{SHEFFIELD}' and value is not null
                qualify row_number() over (partition by feed_id, indicator order by period_start desc, period_end desc) = 1
            ), same as (
                select h.* from indicators_harmonised h join latest l using (feed_id, indicator, period_start, period_end)
                where h.is_target_vintage and h.value is not null
            )
            select l.feed_id || '|' || l.indicator, l.value,
                   (select value from same s where s.feed_id = l.feed_id and s.indicator = l.indicator and s.area_code = '{YORKSHIRE}'),
                   (select value from same s where s.feed_id = l.feed_id and s.indicator = l.indicator and s.area_code = '{ENGLAND}'),
                   (select value from same s where s.feed_id = l.feed_id and s.indicator = l.indicator and s.area_code = '{UK}'),
                   1 + (select count(*) from same s join geography g on g.lad_code = s.area_code
                        where s.feed_id = l.feed_id and s.indicator = l.indicator and s.value > l.value),
                   (select count(*) from same s join geography g on g.lad_code = s.area_code
                    where s.feed_id = l.feed_id and s.indicator = l.indicator)
            from latest l
            """
        ).fetchall()  # fmt: skip
    assert len(expected) >= 20 and set(rows) == {r[0] for r in expected}
    for key, value, parent, england, uk, rank, n in expected:
        row = rows[key]
        assert num(row["value"]) == pytest.approx(value), key
        assert num(row["parent_value"]) == (pytest.approx(parent) if parent is not None else None), key
        assert num(row["england_value"]) == (pytest.approx(england) if england is not None else None), key
        assert num(row["uk_value"]) == (pytest.approx(uk) if uk is not None else None), key
        assert int(num(row["rank"])) == rank and row["rank"][0].startswith(f"{rank} of {n}"), key
    headers = browser.js(
        "Array.from(document.querySelectorAll('#table-latest thead th')).map(t => t.innerText)"
    )
    assert (
        "Yorkshire and The Humber (parent)" in headers
        and "England" in headers
        and "United Kingdom" in headers
    )
    assert browser.js("document.querySelectorAll('#chart-trends .js-plotly-plot').length") == 1
    _clean(browser)
    _shot(browser, "area-profile")


def test_area_profile_csv_download_is_what_the_page_shows(site, browser):
    open_page(browser, f"{site['url']}/area?area={SHEFFIELD}")  # on its own, whatever ran before
    browser.wait("document.querySelector('#csv-latest') !== null")
    href = browser.js("document.querySelector('#csv-latest').getAttribute('href')")
    assert href.startswith("/download/area-profile/latest.csv?") and f"area={SHEFFIELD}" in href
    resp = httpx.get(site["url"] + href, timeout=60)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["x-levelup-release"] == site["release"].name
    got = {f"{r['feed_id']}|{r['indicator_name']}": r for r in csv.DictReader(io.StringIO(resp.text))}
    shown = {r["_key"][0]: r for r in dom_table(browser, "table-latest")}
    assert set(got) == set(shown)
    for key, row in shown.items():
        assert float(got[key]["value"]) == pytest.approx(num(row["value"]))
        assert int(float(got[key]["rank"])) == int(num(row["rank"]))


def test_indicator_explorer_ranks_the_areas_as_the_marts_do(site, browser):
    ind = "gross-value-added-per-hour-worked"
    open_page(browser, f"{site['url']}/indicator?indicator={ind}&level=RGN&areas=E12000007")
    with marts(site["release"]) as con:
        expected = con.execute(
            """
            with v as (
                select area_code, value, period_start from indicators_harmonised
                where is_target_vintage and value is not null and indicator = 'Gross value added per hour worked'
                  and area_code in (select distinct region_code from geography where region_code is not null)
            )
            select area_code, value from v where period_start = (select max(period_start) from v) order by value desc
            """
        ).fetchall()
    rows = dom_table(browser, "table-ranked")
    assert [(r["area_code"][1], num(r["value"])) for r in rows] == [
        (c, pytest.approx(v)) for c, v in expected
    ]
    assert [int(num(r["rank"])) for r in rows] == list(range(1, len(expected) + 1))
    summary = browser.js("document.querySelector('#summary-ranked').innerText")
    assert f"London ranks {[c for c, _ in expected].index('E12000007') + 1} of {len(expected)}" in summary
    series = dom_table(browser, "table-series")
    assert {r["area_code"][1] for r in series} == {"E12000007"}  # the area picked, all its periods
    # the view is in the URL: reloading that address gives the same view
    assert browser.js("location.search") == f"?indicator={ind}&level=RGN&areas=E12000007"
    _clean(browser)
    _shot(browser, "indicator-explorer")


def test_mission_dashboard_gap_against_baseline_equals_the_mart(site, browser):
    open_page(browser, f"{site['url']}/mission?mission=7")
    assert browser.js("document.querySelector('#page-title').innerText") == "Mission 7: Health"
    with marts(site["release"]) as con:
        expected = con.execute(
            "select value, baseline_value, change_since_baseline from mission_gaps "
            "where metric_id = 'm7_hle_gap_male' and status = 'ok' and value is not null order by period_start"
        ).fetchall()
    rows = dom_table(browser, "table-m7_hle_gap_male-gap")
    assert [num(r["value"]) for r in rows] == pytest.approx([e[0] for e in expected])
    assert [num(r["change_since_baseline"]) for r in rows] == pytest.approx([e[2] for e in expected])
    assert [num(r["baseline_value"]) for r in rows] == pytest.approx([e[1] for e in expected])
    aside = browser.js("document.querySelector('#section-m7_hle_gap_male aside.defs').innerText")
    cat = next(c for c in load_catalogue() if c["metric_id"] == "m7_hle_gap_male")
    assert "Definition" in aside and cat["definition"][:80] in aside and cat["caveats"][:40] in aside
    assert browser.js("document.querySelectorAll('figure.chart').length") == 8
    _clean(browser)
    _shot(browser, "mission-07")


def test_keyboard_alone_changes_the_view_and_reaches_the_data(site, browser):
    ind = "gross-value-added-per-hour-worked"
    open_page(browser, f"{site['url']}/indicator?indicator={ind}&level=RGN")
    browser.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    browser.key("Tab")
    assert browser.js("document.activeElement.className") == "skip-link"
    assert browser.js("getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus is visible
    browser.key("Enter")
    assert browser.js("document.activeElement.id") == "main"
    for _ in range(12):  # on to the indicator filter
        browser.key("Tab")
        if browser.js("!!document.activeElement.closest('#filter-indicator')"):
            break
    assert browser.js("!!document.activeElement.closest('#filter-indicator')")
    before = browser.js("document.querySelector('#page-title').innerText")
    browser.key("ArrowDown")  # opens the list, focus on the current option
    browser.wait(f"document.activeElement.type === 'radio' && document.activeElement.value === {ind!r}")
    browser.key("ArrowDown")  # the next option
    browser.wait(f"document.activeElement.type === 'radio' && document.activeElement.value !== {ind!r}")
    chosen = browser.js("document.activeElement.value")
    browser.key("Enter")
    browser.wait(f"location.search.startsWith('?indicator={{}}&'.replace('{{}}', {chosen!r}))")
    browser.wait(
        f"document.querySelector('#page-title') && document.querySelector('#page-title').innerText !== {before!r}"
    )
    for _ in range(6):  # on to the geography level radios: arrows change the level
        browser.key("Tab")
        if browser.js("!!document.activeElement.closest('#filter-level')"):
            break
    assert browser.js("!!document.activeElement.closest('#filter-level')")
    level = browser.js("new URLSearchParams(location.search).get('level')")
    browser.key("ArrowRight")
    browser.wait(f"new URLSearchParams(location.search).get('level') !== {level!r}")
    browser.wait("document.querySelector('#page-ready').dataset.query === location.search")
    browser.wait(WAIT_RENDERED)
    for _ in range(40):  # on to a chart's data table: open it with Enter, reach its CSV link
        browser.key("Tab")
        if browser.js("document.activeElement.tagName") == "SUMMARY":
            break
    assert browser.js("document.activeElement.tagName") == "SUMMARY"
    browser.key("Enter")
    assert browser.js("document.activeElement.parentElement.open") is True
    browser.js("window.__chart = document.activeElement.closest('figure.chart'); true")
    browser.key("Tab")
    assert browser.js(
        "document.activeElement.classList.contains('table-scroll')"
    )  # the table scrolls by keys
    for _ in range(60):  # through the table's links (area names go to their profiles) to its CSV link
        browser.key("Tab")
        assert browser.js("window.__chart.contains(document.activeElement)")
        if browser.js("document.activeElement.classList.contains('csv-link')"):
            break
    assert browser.js("document.activeElement.classList.contains('csv-link')")
    _shot(browser, "keyboard")
    # the view the keyboard reached is an address: opened afresh, it shows the same page
    address, title = (
        browser.js("location.href"),
        browser.js("document.querySelector('#page-title').innerText"),
    )
    open_page(browser, address)
    assert browser.js("document.querySelector('#page-title').innerText") == title
    assert browser.js("location.href") == address


def test_keyboard_search_picks_an_area_profile(site, browser):
    open_page(browser, f"{site['url']}/area?area={ENGLAND}")
    browser.js("document.activeElement && document.activeElement.blur(); true")
    browser.key("Tab")
    browser.key("Enter")  # skip to the main content
    for _ in range(6):
        browser.key("Tab")
        if browser.js("!!document.activeElement.closest('#filter-area')"):
            break
    assert browser.js("!!document.activeElement.closest('#filter-area')")
    browser.type_keys("S")  # typing opens the list's search box
    browser.wait("document.activeElement.type === 'search'")
    browser.type_keys("heff")
    browser.wait("document.activeElement.value.toLowerCase() === 'sheff'")
    browser.wait("document.querySelectorAll('#filter-area .dash-options-list-option').length === 1")
    browser.key("ArrowDown")
    browser.wait(f"document.activeElement.value === {SHEFFIELD!r}")
    browser.key("Enter")
    browser.wait(f"location.search === '?area={SHEFFIELD}'")
    browser.wait("document.querySelector('#page-title').innerText === 'Area profile: Sheffield'")


def test_every_page_type_has_text_alternatives_and_stays_on_loopback(site, browser):
    for path in ["/", "/custom-areas", "/pages/digital-connectivity", "/pages/sources", "/area?area=E47000001",
                 "/area?area=E92000001", "/mission?mission=1", "/mission?mission=8"]:  # fmt: skip
        browser.events.clear()
        open_page(browser, site["url"] + path)
        _clean(browser)
    assert browser.js("document.querySelector('#page-title').innerText") == "Mission 8: Well-being"
    na = dom_table(browser, "table-not-available")
    assert {r["metric_id"][1] for r in na} >= {"m8_low_life_satisfaction", "m8_gap_high_anxiety"}


def test_a_page_added_from_the_template_appears_without_a_restart(site, browser):
    text = (
        (site["pages"] / "_template.yml")
        .read_text()
        .replace("title: Employment rate by region", "title: Employment in the regions (added by a team)")
    )
    (site["pages"] / "employment-in-the-regions.yml").write_text(text)
    health = httpx.get(site["url"] + "/healthz", timeout=30).json()
    assert "employment-in-the-regions" in health["pages"]
    open_page(browser, f"{site['url']}/pages/employment-in-the-regions")
    assert (
        browser.js("document.querySelector('#page-title').innerText")
        == "Employment in the regions (added by a team)"
    )
    with marts(site["release"]) as con:
        expected = con.execute(
            """
            select area_code, value from indicators_harmonised
            where is_target_vintage and indicator = 'Employment rate' and area_level in ('RGN', 'CTRY')
              and area_code not in ('K02000001', 'K03000001', 'K04000001')
            qualify period_start = max(period_start) over ()
            order by value desc
            """
        ).fetchall()
    rows = dom_table(browser, "table-c3-latest-values")
    assert sorted((r["area_code"][1], num(r["value"])) for r in rows) == sorted(
        (c, pytest.approx(v)) for c, v in expected
    )
    _clean(browser)
    index = httpx.get(site["url"] + "/healthz", timeout=30).json()
    assert index["ok"]
    _shot(browser, "page-from-template")


def test_restricted_page_needs_the_cleared_role(site, browser):
    url = site["url"]
    open_page(browser, f"{url}/pages/wellbeing-detail")
    text = browser.js("document.querySelector('main').innerText")
    assert "needs the cleared role" in text and "m8_low_life_satisfaction" not in text
    assert browser.js("document.querySelectorAll('table.data-table').length") == 0
    assert (
        httpx.get(f"{url}/download/wellbeing-detail/c3-every-published-cell.csv", timeout=30).status_code
        == 403
    )
    assert httpx.post(f"{url}/login", data={"token": "not-a-token"}, timeout=30).status_code == 401
    # sign in as a person would: the form, then back to the page
    browser.goto(f"{url}/login?next=/pages/wellbeing-detail", "!!document.querySelector('#token')")
    browser.js(
        f"document.querySelector('#token').value = {site['token']!r}; document.querySelector('form').submit()"
    )
    browser.wait("location.pathname === '/pages/wellbeing-detail'")
    open_page(browser, f"{url}/pages/wellbeing-detail")
    rows = dom_table(browser, "table-c3-every-published-cell")
    expected = [r for r in CLEARED_ROWS if r[0] == "m8_low_life_satisfaction" and r[5] == "sex"]
    assert len(rows) == len(expected)
    shown = {(r["area_code"][1], r["survey_year"][1], r["breakdown_value"][1]): r for r in rows}
    for _m, _lvl, area, _p, year, _b, value, share, status, sdc in expected:
        row = shown[(area, str(year), value)]
        assert num(row["share_pct"]) == (pytest.approx(share) if share is not None else None)
        assert row["status"][1] == status and row["sdc_code"][1] == (sdc or "")
    cookie = next(
        c for c in browser.send("Network.getAllCookies")["cookies"] if c["name"] == "levelup_dashboards_token"
    )
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    resp = httpx.get(f"{url}/download/wellbeing-detail/c3-every-published-cell.csv",
                     headers={"Authorization": f"Bearer {site['token']}"}, timeout=30)  # fmt: skip
    assert resp.status_code == 200 and "m8_low_life_satisfaction" not in resp.text.splitlines()[0]
    assert len(resp.text.strip().splitlines()) == len(expected) + 1
    _clean(browser)
    _shot(browser, "restricted-cleared")
    browser.goto(f"{url}/logout", "!!document.querySelector('#page-title')")
    open_page(browser, f"{url}/pages/wellbeing-detail")
    assert "needs the cleared role" in browser.js("document.querySelector('main').innerText")


def test_promotion_re_points_the_pages_without_a_restart(site, browser):
    releases = site["data"] / "releases"
    old = site["release"].name
    new = "29991231T000000000Z"
    shutil.copytree(releases / old, releases / new)
    try:
        point_current(releases, releases / new)
        assert httpx.get(site["url"] + "/healthz", timeout=30).json()["release_id"] == new
        open_page(browser, f"{site['url']}/mission?mission=4")
        assert (
            browser.js("document.querySelector('#release-badge').innerText")
            == f"Release {new} · current release"
        )
        # a retained release is still served when asked for by id, and says so
        open_page(browser, f"{site['url']}/mission?mission=4&release={old}")
        assert browser.js("document.querySelector('#release-badge').innerText") == (
            f"Release {old} · retained release (not current)"
        )
        assert f"release={old}" in browser.js("document.querySelector('.csv-link').getAttribute('href')")
    finally:
        point_current(releases, releases / old)
