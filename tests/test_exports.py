"""Issue 8 exports: CSV + CSV-W metadata, the mission workbook, the offline data dictionary, provenance. (The
mission charts are the dashboards' now: tests/test_dashboards_static.py.)

Runs on a tiny hand-written release (tests/fixtures/exports/mini_release.py); one mirror test checks the real
current release when there is one."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from publish import exports
from publish.exports import csvw, workbook

pytestmark = pytest.mark.xdist_group("exports")

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
_spec = importlib.util.spec_from_file_location("mini_release", FIXTURES / "mini_release.py")
mini_release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mini_release)


def _export(tmp_path: Path, marts: list[str] | None = None) -> tuple[Path, dict]:
    rel = mini_release.build(tmp_path / ".building-20260101T000000000Z", marts)
    published = marts if marts is not None else mini_release.MARTS
    result = exports.write_exports(
        rel, published, mini_release.DBT_TARGET, catalogue_path=mini_release.CATALOGUE
    )
    return rel, result


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> tuple[Path, dict]:
    return _export(tmp_path_factory.mktemp("exports"))


def test_every_returned_path_exists_and_is_relative(release):
    rel, result = release
    assert set(result["csv"]) == set(mini_release.MARTS) == set(result["csv_metadata"])
    paths = [*result["csv"].values(), *result["csv_metadata"].values()]
    paths += [result[k] for k in ("workbook", "data_dictionary", "querying")]
    for p in paths:
        assert not Path(p).is_absolute()
        assert (rel / p).is_file(), p
    assert "dbt_docs" not in result  # the fixture target has no static_index.html
    assert "report" not in result and not (rel / "report").exists()  # the SVG mission report is retired
    json.dumps(result)  # goes into manifest.json


def test_csv_round_trips_every_mart(release):
    rel, _ = release
    with duckdb.connect(str(rel / "marts.duckdb"), read_only=True) as con:
        for mart in mini_release.MARTS:
            cols = [r[0] for r in con.execute(f"describe {mart}").fetchall()]
            n = con.execute(f"select count(*) from {mart}").fetchone()[0]
            with open(rel / "csv" / f"{mart}.csv", newline="", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
            assert rows[0] == cols, mart
            assert len(rows) - 1 == n, mart


def test_csvw_metadata_describes_the_csv(release):
    rel, _ = release
    meta = json.loads((rel / "csv" / "mission_metrics.csv-metadata.json").read_text())
    assert meta["@context"][0] == "http://www.w3.org/ns/csvw"
    assert meta["url"] == "mission_metrics.csv"
    cols = {c["name"]: c for c in meta["tableSchema"]["columns"]}
    with open(rel / "csv" / "mission_metrics.csv", encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    assert [c["name"] for c in meta["tableSchema"]["columns"]] == header
    assert cols["period_start"]["datatype"] == "date"
    assert cols["value"]["datatype"] == "double"
    assert cols["mission"]["datatype"] == "int"
    assert cols["is_proxy"]["datatype"] == "boolean"
    assert cols["metric_id"]["datatype"] == "string"
    assert cols["metric_id"]["dc:description"].startswith("Published metric identifier")
    assert cols["value"]["schema:unitText"] == "per row: see `unit`"
    assert "Grain: one row per (metric_id" in meta["dc:description"]
    assert meta["notes"][0]["grain"] == "one row per (metric_id, area_code, period_start, period_end)"
    sources = {s["dc:identifier"] for s in meta["dc:source"]}
    assert sources == {"healthy-life-expectancy", "gross-value-added"}  # lineage walked through staging
    assert meta["dc:license"]["@id"].startswith("https://www.nationalarchives.gov.uk/")


def test_csv_values_parse_with_the_declared_types(release):
    rel, _ = release
    meta = json.loads((rel / "csv" / "provenance.csv-metadata.json").read_text())
    types = {c["name"]: c["datatype"] for c in meta["tableSchema"]["columns"]}
    assert types["retrieved_at"] == "dateTimeStamp" and types["source_bytes"] == "long"
    df = pd.read_csv(rel / "csv" / "provenance.csv", dtype=str, keep_default_na=False)
    current = df[df.source_sha256 == mini_release.SHA].iloc[0]
    assert current.retrieved_at == "2026-01-02T03:04:05.678901Z"  # xsd:dateTimeStamp, UTC
    assert current.is_current == "true" and current.http_etag == ""  # empty = null
    assert meta["tableSchema"]["columns"][-2]["name"] == "is_current"
    mm = pd.read_csv(rel / "csv" / "mission_metrics.csv", dtype=str, keep_default_na=False)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", mm.period_start[mm.period_start != ""].iloc[0])


def test_workbook_has_notes_and_one_sheet_per_mission(release):
    rel, _ = release
    wb = load_workbook(rel / "mission_metrics.xlsx", read_only=True)
    assert wb.sheetnames == ["Notes", "M1 Living standards", "M7 Health", "M8 Well-being"]
    with duckdb.connect(str(rel / "marts.duckdb"), read_only=True) as con:
        for title, mission in (("M1 Living standards", 1), ("M7 Health", 7), ("M8 Well-being", 8)):
            rows = list(wb[title].iter_rows(values_only=True))
            assert list(rows[0]) == workbook.WORKBOOK_COLUMNS
            n = con.execute("select count(*) from mission_metrics where mission = ?", [mission]).fetchone()[0]
            assert len(rows) - 1 == n
    notes = [r for r in wb["Notes"].iter_rows(values_only=True)]
    flat = {str(v) for r in notes for v in r if v is not None}
    assert "m7_hle_male" in flat and "Sources" in flat
    definition = next(r for r in notes if r and r[0] == "m7_hle_gap_male")
    assert "top decile" in definition[workbook.NOTES_COLUMNS.index("definition")]
    src = next(r for r in notes if r and r[0] == "healthy-life-expectancy")
    assert mini_release.SHA in src  # the current version's hash, from the provenance mart
    na = [r for r in wb["M8 Well-being"].iter_rows(min_row=2, values_only=True)]
    assert na[0][workbook.WORKBOOK_COLUMNS.index("status")] == "not_available"


def test_data_dictionary_is_offline_and_complete(release):
    rel, _ = release
    page = (rel / "docs" / "index.html").read_text()
    for mart in mini_release.MARTS:
        assert f'id="{mart}"' in page
    assert "one row per (feed_id, source_sha256)" in page  # grain from config.meta
    assert "Published metric identifier" in page  # column description
    assert "Healthy life expectancy at birth" in page  # source feed title (lineage + provenance)
    assert 'href="../csv/mission_metrics.csv"' in page
    assert 'href="../dashboards/index.html"' in page  # the dashboards (mission pages) are linked
    assert "Querying this release" in page and "<pre" in page  # query examples rendered in
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", page)  # nothing fetched
    assert "<script" not in page


def test_provenance_join_answers_where_a_value_came_from(release):
    rel, _ = release
    with duckdb.connect(str(rel / "marts.duckdb"), read_only=True) as con:
        row = con.execute(
            "select p.source_url, p.retrieved_at, p.source_sha256, p.harmonisation from indicators i "
            "join provenance p using (feed_id, source_sha256) limit 1"
        ).fetchone()
    assert row[0].startswith("https://") and row[2] == mini_release.SHA and row[3]


def test_withheld_mission_metrics_skips_workbook(tmp_path):
    rel, result = _export(tmp_path, ["indicators", "provenance"])
    assert set(result["csv"]) == {"indicators", "provenance"}
    assert "workbook" not in result
    assert set(result["skipped"]) >= {"workbook"}
    assert not (rel / "mission_metrics.xlsx").exists()
    assert (rel / "docs" / "index.html").exists()


def test_no_dbt_manifest_still_writes_typed_csvw(tmp_path):
    rel = mini_release.build(tmp_path / "r")
    result = exports.write_exports(rel, ["mission_gaps"], None,
                                   catalogue_path=mini_release.CATALOGUE)  # fmt: skip
    meta = json.loads((rel / result["csv_metadata"]["mission_gaps"]).read_text())
    assert {c["name"]: c["datatype"] for c in meta["tableSchema"]["columns"]}["n_areas"] == "long"
    assert "descriptions" in result["skipped"]


def test_csvw_type_mapping():
    assert csvw.csvw_datatype("DECIMAL(18,3)") == "decimal"
    assert csvw.csvw_datatype("VARCHAR[]") == "string"
    assert csvw.csvw_datatype("TIMESTAMP") == "dateTime"


@pytest.mark.mirror
def test_exports_of_the_real_current_release(published, tmp_path):
    assert published.returncode == 0, published.stdout[-3000:]
    current = published.release
    # the release as published carries every export
    manifest = json.loads((current / "manifest.json").read_text())
    for rel_path in [
        *manifest["exports"]["csv"].values(),
        manifest["exports"]["workbook"],
        manifest["exports"]["dashboards"]["index"],
        manifest["exports"]["data_dictionary"],
        manifest["exports"]["dbt_docs"],
    ]:
        assert (current / rel_path).exists(), rel_path
    assert "skipped" not in manifest["exports"] or not manifest["exports"]["skipped"]
    rel = tmp_path / "release"
    rel.mkdir()
    shutil.copyfile(current / "marts.duckdb", rel / "marts.duckdb")
    shutil.copytree(current / "parquet", rel / "parquet")
    with duckdb.connect(str(rel / "marts.duckdb"), read_only=True) as con:
        marts = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
    result = exports.write_exports(rel, marts, None)
    assert set(result["csv"]) == set(marts)
    wb = load_workbook(rel / result["workbook"], read_only=True)
    assert len(wb.sheetnames) == 13  # Notes + 12 missions


def test_the_exports_connection_opens_with_the_duckdb_memory_limit(tmp_path, monkeypatch):
    """Unbounded, DuckDB's CSV writer buffered a 50M-row `indicators` mart up to 5.6 GB (`make bench-scale`); with
    the run's limit (2 GB by default) the same export peaked at 1.5 GB in the same time."""
    opened = []
    real_connect = duckdb.connect

    def spy(*args, **kwargs):
        opened.append(kwargs.get("config") or {})
        return real_connect(*args, **kwargs)

    rel = mini_release.build(tmp_path / ".building-20260101T000000000Z", None)
    monkeypatch.setenv("LEVELUP_DUCKDB_MEMORY_LIMIT", "345MB")
    monkeypatch.setattr(exports.duckdb, "connect", spy)  # the duckdb module: every connection from here on
    exports.write_exports(rel, mini_release.MARTS, mini_release.DBT_TARGET, catalogue_path=mini_release.CATALOGUE)
    assert opened, "the exports opened no DuckDB connection"
    assert all(c.get("memory_limit") == "345MB" for c in opened), opened
