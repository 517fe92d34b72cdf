"""User-defined areas (issue 3, item 5): reading, validation messages and the atomic landing of
raw/custom-areas/current.parquet. No mirror and no dbt needed; the mart is exercised in
test_geography_mirror.py."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from core.settings import Settings
from ingest.custom_areas import SCHEMA, CustomAreaError, land_custom_areas, read_custom_areas


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", mirror=None, registry_path=tmp_path / "feeds.yaml")


def _drop(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / "data" / "custom_areas"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_no_folder_lands_an_empty_file_with_the_schema(tmp_path: Path) -> None:
    summary = land_custom_areas(_settings(tmp_path))
    assert summary["areas"] == 0 and summary["members"] == 0
    table = pq.read_table(summary["path"])
    assert table.num_rows == 0
    assert table.schema.equals(SCHEMA)


def test_csv_and_yaml_are_read_and_landed(tmp_path: Path) -> None:
    _drop(
        tmp_path,
        "belfast.csv",
        "custom_area,member_code,description\nBelfast pair,95GG01S1,two SOAs\nBelfast pair,95gg01s2,\n",
    )
    _drop(
        tmp_path,
        "lads.yaml",
        "custom_areas:\n  - name: South Yorkshire core\n    members: [E08000019, E08000016]\n",
    )
    _drop(tmp_path, "notes.txt", "ignored")
    summary = land_custom_areas(_settings(tmp_path))
    assert summary["files"] == ["belfast.csv", "lads.yaml"]
    assert summary["areas"] == 2 and summary["members"] == 4
    rows = pq.read_table(summary["path"]).to_pylist()
    assert {(r["custom_area"], r["member_code"], r["member_kind"]) for r in rows} == {
        ("Belfast pair", "95GG01S1", "small_area"),
        ("Belfast pair", "95GG01S2", "small_area"),
        ("South Yorkshire core", "E08000019", "lad"),
        ("South Yorkshire core", "E08000016", "lad"),
    }
    assert {r["description"] for r in rows if r["custom_area"] == "Belfast pair"} == {"two SOAs", None}
    assert not list((tmp_path / "data" / "raw" / "custom-areas").glob(".*tmp*"))  # temp file renamed away


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.csv", "area,code\nX,E08000019\n", "a.csv: header must contain custom_area and member_code"),
        (
            "b.csv",
            "custom_area,member_code\nX,E08000019\nX,not-a-code\n",
            "b.csv row 3: member_code 'NOT-A-CODE'",
        ),
        ("c.csv", "custom_area,member_code\n,E08000019\n", "c.csv row 2: empty custom_area name"),
        (
            "d.csv",
            "custom_area,member_code\nX,E08000019\nX,E08000019\n",
            "d.csv row 3: E08000019 is listed twice",
        ),
        ("e.csv", "custom_area,member_code\nX,E08000019\nX,E01000001\n", "e.csv row 3: area 'X' mixes LADs"),
        ("f.yaml", "areas: []\n", "f.yaml: expected a top-level key `custom_areas:`"),
        (
            "g.yaml",
            "custom_areas:\n  - name: Y\n    members: [E08000019, 12345]\n",
            "g.yaml area #1 member #2",
        ),
    ],
)
def test_bad_files_fail_naming_file_and_row(tmp_path: Path, name: str, text: str, message: str) -> None:
    _drop(tmp_path, name, text)
    with pytest.raises(CustomAreaError, match=None) as err:
        read_custom_areas(tmp_path / "data" / "custom_areas")
    assert message in str(err.value)


def test_same_area_in_two_files_is_an_error_and_the_old_file_survives(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    _drop(tmp_path, "one.csv", "custom_area,member_code\nX,E08000019\n")
    first = land_custom_areas(settings)
    _drop(tmp_path, "two.csv", "custom_area,member_code\nX,E08000016\n")
    with pytest.raises(CustomAreaError, match="two.csv row 2: area 'X' is already defined in one.csv"):
        land_custom_areas(settings)
    assert pq.read_table(first["path"]).num_rows == 1  # the previously landed version is untouched
