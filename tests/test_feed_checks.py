"""Version checks at ingest, on REAL feeds (the mirror's files, edited at test time): a version that passes its
contract but is wrong as a whole (rescaled, shifted, an indicator dropped) is rejected before it becomes current,
with a message that names the indicator, the change and the tolerance used; a genuine revision is accepted."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from core.registry import load_registry
from core.settings import get_settings
from ingest.land import FeedStore
from ingest.pipeline import ingest_feed
from quality.feed_checks import check_version

pytestmark = pytest.mark.mirror
PAY, HLE = "gross-median-weekly-pay", "healthy-life-expectancy"


def edited(real: Path, fn) -> bytes:
    rows = list(csv.reader(io.StringIO(real.read_text(encoding="utf-8-sig"))))
    header, body = rows[0], rows[1:]
    i = header.index("observation")
    out = [header]
    for r in body:
        if r[i]:
            r = list(r)
            r[i] = fn(float(r[i]), r)
        out.append(r)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(out)
    return buf.getvalue().encode()


@pytest.fixture
def feed_in_overlay(mirror, tmp_path, monkeypatch, data_dir):
    overlay = tmp_path / "mirror"
    monkeypatch.setenv("LEVELUP_MIRROR", str(overlay))
    reg = load_registry()

    def land(feed_id: str, body: bytes | None = None):
        feed = reg.get(feed_id)
        target = overlay / feed.mirror_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body if body is not None else (mirror / feed.mirror_path).read_bytes())
        return feed, ingest_feed(feed, raise_on_failure=False, accept=check_version)

    return land, mirror


def test_pay_scaled_by_one_and_a_half_is_rejected_with_its_tolerance(feed_in_overlay):
    land, mirror = feed_in_overlay
    feed, first = land(PAY)
    assert first.status == "landed"
    good = FeedStore(get_settings().feed_dir(PAY), PAY).current_info()
    _, res = land(PAY, edited(mirror / feed.mirror_path, lambda v, r: f"{v * 1.5:.1f}"))
    assert res.status == "failed"
    assert "'Gross median weekly pay'" in res.message and "x1.5" in res.message
    assert "tolerance ±" in res.message and "period-to-period change" in res.message  # the tolerance, and how
    store = FeedStore(get_settings().feed_dir(PAY), PAY)
    assert store.current_info() == good  # the previous version still serves
    assert store.rejection(res.sha256) is not None  # the rejected version is kept, marked, never current
    log = store.read_log()[-1]
    assert log["contract_result"] == "rejected" and log["quality_checks"][0]["tolerance"] < 0.5


def test_hle_shifted_by_ten_years_is_rejected(feed_in_overlay):
    land, mirror = feed_in_overlay
    feed, _ = land(HLE)
    _, res = land(HLE, edited(mirror / feed.mirror_path, lambda v, r: f"{v + 10:.1f}"))
    assert res.status == "failed"
    assert (
        "'Male healthy life expectancy'" in res.message and "'Female healthy life expectancy'" in res.message
    )


def test_a_dropped_indicator_is_rejected(feed_in_overlay):
    land, mirror = feed_in_overlay
    feed, _ = land(HLE)
    text = (mirror / feed.mirror_path).read_text(encoding="utf-8-sig")
    female_only = "".join(ln for ln in text.splitlines(keepends=True) if "Male healthy" not in ln)
    _, res = land(HLE, female_only.encode())
    assert res.status == "failed"
    assert "['Male healthy life expectancy'] are in the current version but missing" in res.message
    assert "of the current version's rows" in res.message  # and half of the rows are gone


def test_a_rescaled_percentage_is_recognised(feed_in_overlay):
    land, mirror = feed_in_overlay
    feed, _ = land("employment-rate")
    _, res = land("employment-rate", edited(mirror / feed.mirror_path, lambda v, r: f"{v / 100:.6f}"))
    assert res.status == "failed" and "looks rescaled (/100" in res.message


def test_a_genuine_revision_is_accepted(feed_in_overlay):
    land, mirror = feed_in_overlay
    feed, _ = land(PAY)
    revised = edited(
        mirror / feed.mirror_path, lambda v, r: f"{v * 1.004:.1f}" if r[0].startswith("E06") else repr(v)
    )
    _, res = land(PAY, revised)
    assert res.status == "landed", res.message
    assert FeedStore(get_settings().feed_dir(PAY), PAY).current_info().sha256 == res.sha256
