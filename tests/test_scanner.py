"""The disclosure scanner: clean outputs pass; leaked columns, respondent rows and small cells are caught."""

from __future__ import annotations

import duckdb
import pandas as pd

from restricted import scanner


def _clean() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric_id": ["m8_low_happiness"] * 3,
            "area_code": ["E06000001", "E06000002", "E92000001"],
            "share_pct": [9.1, None, 9.4],
            "lci_95": [7.0, None, 9.2],
            "uci_95": [11.5, None, 9.6],
            "unweighted_count": pd.array([250, None, 120000], dtype="Int64"),
            "status": ["ok", "suppressed", "ok"],
        }
    )


def _failed(checks):
    return {(c.name, c.target) for c in checks if not c.passed}


def test_clean_release_passes(tmp_path):
    (tmp_path / "parquet").mkdir()
    _clean().to_parquet(tmp_path / "parquet" / "m8.parquet")
    _clean().to_csv(tmp_path / "m8.csv", index=False)
    with duckdb.connect(str(tmp_path / "marts.duckdb")) as con:
        con.register("d", _clean())
        con.execute("create table mission_metrics as select * from d")
    checks = scanner.scan_release(tmp_path, min_count=10)
    assert len(checks) == 12 and not _failed(checks)


def test_scanner_catches_a_deliberately_leaked_column(tmp_path):
    leaked = _clean().assign(person_weight=[812.5, 640.0, 1.0])
    leaked.to_parquet(tmp_path / "m8.parquet")
    with duckdb.connect(str(tmp_path / "marts.duckdb")) as con:
        con.register(
            "d", _clean().assign(respondent_id=["R2022ABCDEF1234", "R2022ABCDEF1235", "R2022ABCDEF1236"])
        )
        con.execute("create schema marts")
        con.execute("create table marts.marts.indicators as select * from d")
    failed = _failed(scanner.scan_directory(tmp_path, min_count=10))
    assert ("no_respondent_level_columns", "m8.parquet") in failed
    assert ("no_respondent_level_columns", "marts.duckdb:marts.indicators") in failed
    assert ("no_respondent_level_rows", "marts.duckdb:marts.indicators") in failed  # id-shaped values


def test_scanner_catches_respondent_ids_under_an_innocent_name_and_microdata_shape(tmp_path):
    df = pd.DataFrame(
        {
            "ref": [f"R2021{i:010d}" for i in range(30)],
            "lad_code": ["E06000001"] * 30,
            "age_band": ["16-24"] * 30,
            "sex": ["male"] * 30,
            "score": [i % 11 for i in range(30)],
        }
    )
    df.to_parquet(tmp_path / "export.parquet")
    assert ("no_respondent_level_rows", "export.parquet") in _failed(scanner.scan_directory(tmp_path))
    df.drop(columns="ref").to_parquet(tmp_path / "export.parquet")
    assert ("no_respondent_level_rows", "export.parquet") in _failed(scanner.scan_directory(tmp_path))


def test_scanner_catches_small_cells_and_values_left_on_suppressed_rows(tmp_path):
    bad = _clean()
    bad.loc[0, "unweighted_count"] = 7
    bad.loc[1, "share_pct"] = 3.3
    bad.to_parquet(tmp_path / "m8.parquet")
    failed = _failed(scanner.scan_directory(tmp_path, min_count=10))
    assert ("no_cells_under_threshold", "m8.parquet") in failed
    assert ("suppressed_cells_blank", "m8.parquet") in failed
    # the failure names columns and counts, never the values of the leaked cells
    msg = " ".join(c.message for c in scanner.scan_directory(tmp_path, min_count=10))
    assert "3.3" not in msg


def test_a_csv_is_scanned_by_every_rule_and_each_text_column_is_named(tmp_path):
    """CSV exports are read once and every rule runs on that copy: ids in two text columns (only one of them
    id-shaped in every row), a small cell and a value on a suppressed row are each reported under the file."""
    bad = _clean().assign(
        note=["R2022ABCDEF1234", "ok", "R2022ABCDEF1236"], ref=["R2023ABCDEF0001", "R2023ABCDEF0002", "x"]
    )
    bad.loc[0, "unweighted_count"] = 7
    bad.loc[1, "share_pct"] = 3.3
    (tmp_path / "csv").mkdir()
    bad.to_csv(tmp_path / "csv" / "m8.csv", index=False)
    checks = scanner.scan_directory(tmp_path, min_count=10)
    failed = _failed(checks)
    for rule in ("no_respondent_level_rows", "no_cells_under_threshold", "suppressed_cells_blank"):
        assert (rule, "csv/m8.csv") in failed, rule
    ids = next(c for c in checks if c.name == "no_respondent_level_rows")
    assert ids.failing_samples == [{"column": "note", "rows": 2}, {"column": "ref", "rows": 2}]
