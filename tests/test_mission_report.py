"""Issue 8 mission report: static, self-contained HTML with inline SVG charts; rendered in headless Chromium
(screenshot kept under test-artifacts/) when Chromium is installed."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from publish import mission_report as mr

pytestmark = pytest.mark.xdist_group("mission_report")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
FIXTURES = Path(__file__).parent / "fixtures" / "exports"
_spec = importlib.util.spec_from_file_location("mini_release", FIXTURES / "mini_release.py")
mini_release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mini_release)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict, str]:
    rel = mini_release.build(tmp_path_factory.mktemp("report") / "release")
    out = rel / "report" / "mission_report.html"
    feeds = {
        "healthy-life-expectancy": {"title": "Healthy life expectancy", "url": "https://example.org/hle.csv"}
    }
    info = mr.render_report(
        rel / "marts.duckdb", out, catalogue=mr.load_catalogue(mini_release.CATALOGUE), feeds=feeds,
        release_id="20260101T000000000Z",
    )  # fmt: skip
    return out, info, out.read_text(encoding="utf-8")


def test_one_section_per_mission_with_charts(report):
    _, info, page = report
    assert info["missions"] == 3
    assert re.findall(r'<section class="mission" id="mission-(\d+)"', page) == ["1", "7", "8"]
    # m1: over time + ranked; m7 headline: over time + ranked; m7 gap: over time with baseline
    assert info["charts"] == page.count("<svg") == 5
    assert "gap over time against the baseline" in page and "baseline (2017)" in page
    assert "change since the baseline (2017): <b>+0.2</b>" in page


def test_definitions_caveats_and_sources_beside_the_charts(report):
    _, _, page = report
    cats = {c["metric_id"]: c for c in mr.load_catalogue(mini_release.CATALOGUE)}
    m7 = page[page.index('id="m7_hle_male"') :]
    m7 = m7[: m7.index("</aside>")]
    assert mr.esc(cats["m7_hle_male"]["definition"]) in m7
    assert mr.esc(cats["m7_hle_male"]["caveats"]) in m7
    assert 'href="https://example.org/hle.csv"' in m7
    # not available: listed with the reason, no chart
    assert "requires record-level APS microdata (restricted zone)" in page
    assert 'id="m8_low_life_satisfaction"' not in page


def test_ranked_chart_lists_areas_highest_first(report):
    _, _, page = report
    m1 = page[page.index('id="m1_gva_per_hour"') :]
    ranked = m1[m1.index("areas ranked") :]
    names = re.findall(r'text-anchor="end" fill="#222">([^<]+)</text>', ranked)[:12]
    assert names[0] == "London" and names[-1] == "Wales"
    assert "United Kingdom" in ranked  # the reference line
    assert "30 areas, highest first" in page and "6 areas between (ranks 13–18)" in page  # m7 LAs


def test_long_rankings_show_top_and_bottom_with_the_middle_counted():
    svg = mr.ranked_bar_chart([(f"a{i}", float(i)) for i in range(100)], title="t", unit="%", show=5)
    assert "90 areas between (ranks 6–95)" in svg
    assert "a99" in svg and "a0" in svg and "a50" not in svg


def test_report_is_self_contained(report):
    _, _, page = report
    assert "<script" not in page.lower()
    assert not re.search(r'<(link|img|iframe)[^>]+(src|href)="https?://', page)
    assert "@import" not in page and "url(http" not in page


def test_axis_ticks_cover_the_data():
    for lo, hi in ((20.1, 54.0), (0.0, 0.3), (61.0, 61.0), (-3.5, 12.2), (50_000, 90_288)):
        ticks = mr._nice_ticks(lo, hi)
        assert ticks[0] <= lo and ticks[-1] >= hi, (lo, hi, ticks)
        assert 2 <= len(ticks) <= 8


def test_line_chart_handles_a_single_period():
    svg = mr.line_chart([mr.Series("UK", [(date(2026, 1, 1), 97.5)], "#000")], title="t", unit="%")
    assert svg.startswith("<svg") and "<circle" in svg


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(
    _chromium() is None,
    reason="Chromium is not installed (Debian: apt-get install -y chromium); the HTML checks above still ran",
)
def test_report_renders_in_headless_chromium(report):
    out, _, _ = report
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "mission_report.png"
    shot.unlink(missing_ok=True)
    cmd = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        "--disable-extensions", "--window-size=1280,2200", f"--screenshot={shot}", out.as_uri(),
    ]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert shot.exists(), res.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 30_000, "screenshot is suspiciously small (blank page?)"
    # the DOM Chromium built has every chart (the page parsed as HTML + SVG without errors)
    dom = subprocess.run(
        [*cmd[:-2], "--dump-dom", out.as_uri()], capture_output=True, text=True, timeout=90
    ).stdout
    assert dom.count("<svg") == 5
