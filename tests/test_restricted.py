"""The restricted zone: key handling, encryption at rest, the synthetic APS generator's calibration, the
landing pickup, the private dbt group boundary, and the no-delivery path."""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import generate_synthetic_aps as gen  # scripts/ (tests/conftest.py)
import pandas as pd
import pytest

from core.registry import load_registry
from core.settings import get_settings
from restricted import crypto, export, keys, pickup, zone

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# a mix: unchanged LAs, Sheffield (recoded), Cumberland (merged 2023), a tiny sample (City of London), Wales,
# Scotland, NI
AREAS = [
    "E06000001",
    "E08000039",
    "E06000063",
    "E09000001",
    "E07000223",
    "W06000015",
    "S12000036",
    "N09000003",
]


@pytest.fixture
def key(monkeypatch) -> str:
    text = keys.generate_key()
    monkeypatch.setenv(keys.KEY_ENV, text)
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    return text


# ------------------------------------------------------------------------------------------ keys and crypto
def test_reading_an_encrypted_file_without_the_key_fails_cleanly(tmp_path, key, monkeypatch, caplog):
    path = crypto.write_encrypted(
        tmp_path / "x.csv.enc", b"respondent_id,lad_code\nR2022AAAAAAAAAA,E06000001\n", keys.load_key()
    )
    assert b"respondent_id" not in path.read_bytes()  # encrypted at rest
    assert crypto.read_encrypted(path).startswith(b"respondent_id")

    monkeypatch.delenv(keys.KEY_ENV)
    with pytest.raises(keys.RestrictedKeyError, match="no restricted key"):
        crypto.read_encrypted(path)

    wrong = keys.generate_key()
    monkeypatch.setenv(keys.KEY_ENV, wrong)
    with caplog.at_level(logging.DEBUG), pytest.raises(keys.RestrictedDecryptError) as err:
        crypto.read_encrypted(path)
    assert "wrong key" in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no chained crypto traceback
    for secret in (key, wrong, key.rstrip("=")):
        assert secret not in str(err.value) and secret not in caplog.text

    monkeypatch.setenv(keys.KEY_ENV, "not-a-key")
    with pytest.raises(keys.RestrictedKeyError, match="not urlsafe base64|decodes to"):
        keys.load_key()


def test_key_file_must_be_outside_the_repository_and_key_never_in_repr(tmp_path, monkeypatch):
    text = keys.generate_key()
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    outside = tmp_path / "zone.key"
    outside.write_text(text)
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(outside))
    k = keys.load_key()
    assert text not in repr(k) and text not in str(k) and base64.urlsafe_b64decode(text) == k.raw
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(PROJECT_ROOT / "registry" / "feeds.yaml"))
    with pytest.raises(keys.RestrictedKeyError, match="inside the repository"):
        keys.load_key()
    assert keys.redact(f"oops {text} leaked", k) == "oops [REDACTED] leaked"


# ------------------------------------------------------------------------------------------ generator
@pytest.fixture(scope="module")
def synthetic(mirror):
    import os

    old = os.environ.get("LEVELUP_DATA_DIR")
    os.environ["LEVELUP_DATA_DIR"] = "/nonexistent-h6"  # force the mirror CSVs, not a landed raw zone
    try:
        inp = gen.load_inputs(get_settings())
    finally:
        if old is None:
            os.environ.pop("LEVELUP_DATA_DIR")
        else:
            os.environ["LEVELUP_DATA_DIR"] = old
    df, tg = gen.generate(inp, [2021, 2022], seed=7, areas=AREAS)
    return inp, df, tg


def test_generator_reproduces_published_means(synthetic):
    inp, df, tg = synthetic
    rep = gen.calibration_report(df, tg)
    cal = rep[rep["is_calibrated"]]
    assert set(cal["lad_code"]) >= set(AREAS) - {"E09000001"}
    assert len(cal) >= 7 * 2 * 4
    assert cal["abs_diff"].max() <= 0.1, cal.sort_values("abs_diff").tail()
    # published value for an unchanged LA: Hartlepool 2022 life satisfaction straight from the mirror
    pub = inp.published
    hartlepool = pub[(pub.areacd == "E06000001") & (pub.year == 2022) & (pub.indicator == "Satisfaction")]
    row = rep[(rep.lad_code == "E06000001") & (rep.year == 2022) & (rep.indicator == "Satisfaction")].iloc[0]
    assert abs(row["weighted_mean"] - hartlepool["observation"].iloc[0]) <= 0.1
    # Cumberland's target is the mean of Allerdale, Carlisle and Copeland
    assert rep[(rep.lad_code == "E06000063")]["n_predecessors"].max() == 3


def test_generator_is_deterministic_and_realistic(synthetic):
    inp, df, tg = synthetic
    again, _ = gen.generate(inp, [2021, 2022], seed=7, areas=AREAS)
    pd.testing.assert_frame_equal(df, again)
    sizes = df.groupby(["lad_code", "survey_year"]).size()
    assert sizes.min() < 30  # City of London: a genuinely small sample
    assert sizes.drop("E09000001", level=0).between(90, 1800).all()
    assert df["respondent_id"].is_unique
    for col in gen.QUESTIONS.values():
        s = df[col[0]].dropna()
        assert s.between(0, 10).all() and s.nunique() >= 9  # the full 0-10 scale is used


def test_delivery_is_picked_up_validated_and_landed_encrypted(synthetic, data_dir, key, caplog):
    inp, df, tg = synthetic
    settings = get_settings()
    registry = load_registry()
    feed = registry.get("aps-personal-wellbeing-microdata")
    assert feed.sensitivity == "restricted" and feed.family == "restricted"
    drop = gen.write_delivery(settings, df, [2021, 2022], 7, keys.load_key())
    assert zone.pending_deliveries(settings, feed) == [drop]
    with caplog.at_level(logging.DEBUG):
        out = pickup.ingest_restricted(settings, registry)
    att = out["feeds"][feed.id]["attempts"][0]
    assert att["status"] == "landed" and att["rows"] == len(df)
    z = zone.Zone(settings)
    landed = (z.feed_dir(feed.id) / "current.parquet.enc").resolve()
    assert landed.read_bytes()[:8] == crypto.MAGIC and b"respondent_id" not in landed.read_bytes()
    log_text = (z.feed_dir(feed.id) / "ingest_log.jsonl").read_text()
    for text in (log_text, caplog.text, repr(out)):
        assert key not in text and key.rstrip("=") not in text
    # record-level rows are never written to disk in plaintext: no zone database, no warehouse
    assert not z.database.exists() and not settings.warehouse_path.exists()
    # same delivery again: unchanged, nothing re-landed
    again = pickup.ingest_restricted(settings, registry)
    assert again["feeds"][feed.id]["attempts"][0]["status"] == "unchanged"


def test_a_delivery_that_breaks_its_contract_does_not_land_and_echoes_no_values(synthetic, data_dir, key):
    inp, df, tg = synthetic
    settings = get_settings()
    bad = df.head(2000).copy()
    bad.loc[bad.index[:3], "happiness"] = 14
    gen.write_delivery(settings, bad, [2021], 99, keys.load_key())
    out = pickup.ingest_restricted(settings, load_registry())
    att = out["feeds"]["aps-personal-wellbeing-microdata"]["attempts"][0]
    assert att["status"] == "failed" and "happiness" in att["message"]
    assert not any(r in att["message"] for r in bad["respondent_id"].head(3))
    assert not zone.Zone(settings).database.exists()


def test_no_delivery_is_not_a_failure(data_dir, monkeypatch):
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    monkeypatch.delenv(keys.KEY_FILE_ENV, raising=False)
    out = pickup.ingest_restricted(
        get_settings(), load_registry()
    )  # no key needed when nothing was delivered
    assert out["feeds"]["aps-personal-wellbeing-microdata"]["status"] == "no_delivery"
    assert export.build_restricted_aggregates(get_settings()) == {"status": "no_delivery"}


# ------------------------------------------------------------------------------------------ dbt boundary
def _dbt_parse(project: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [
            str(dbt if dbt.exists() else "dbt"),
            "parse",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        capture_output=True,
        text=True,
        cwd=project,
        env={
            **__import__("os").environ,
            "LEVELUP_DATA_DIR": str(tmp_path / "data"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
    )


def test_dbt_parse_fails_when_a_shared_model_refs_a_private_restricted_model(tmp_path):
    project = tmp_path / "dbt_restricted"
    shutil.copytree(PROJECT_ROOT / "dbt_restricted", project, ignore=shutil.ignore_patterns("target", "logs"))
    ok = _dbt_parse(project, tmp_path)
    assert ok.returncode == 0, ok.stdout[-2000:]

    shared = project / "models" / "shared"
    shared.mkdir()
    (shared / "_shared.yml").write_text(
        "version: 2\ngroups:\n  - name: shared\n    owner: {name: analysts}\n"
        "models:\n  - name: leaky_share\n    config: {group: shared, access: public}\n"
    )
    (shared / "leaky_share.sql").write_text(
        "select lad_code, avg(happiness) as mean_happiness from {{ ref('stg_aps__respondents') }} group by 1\n"
    )
    bad = _dbt_parse(project, tmp_path)
    assert bad.returncode != 0
    out = bad.stdout + bad.stderr
    assert "leaky_share" in out and "stg_aps__respondents" in out and "private" in out and "restricted" in out
