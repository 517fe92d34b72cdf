"""Issue 8: every query example in docs/querying.md runs against a (tiny) release.

The fenced blocks are read from the Markdown itself, so the documentation cannot drift from what works:
`sh` blocks are DuckDB CLI calls (their SQL always runs through the Python API; the binary only when it is on
PATH: the PyPI duckdb package ships no CLI), `python` blocks run as written, `r` blocks run with Rscript when R
and its duckdb package are installed, and the Excel section's sheet names, header row and filters are checked
with openpyxl."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from publish import exports

pytestmark = pytest.mark.xdist_group("query_examples")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERYING = PROJECT_ROOT / "docs" / "querying.md"
FIXTURES = Path(__file__).parent / "fixtures" / "exports"
_spec = importlib.util.spec_from_file_location("mini_release", FIXTURES / "mini_release.py")
mini_release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mini_release)
DOC_RELEASE = "data/releases/current"


def blocks(lang: str) -> list[str]:
    text = QUERYING.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(rf"```{lang}\n(.*?)```", text, flags=re.S)]


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    rel = mini_release.build(tmp_path_factory.mktemp("query") / "release")
    exports.write_exports(
        rel,
        mini_release.MARTS,
        mini_release.DBT_TARGET,
        catalogue_path=mini_release.CATALOGUE,
    )
    return rel


def _cli_calls(release: Path) -> list[list[str]]:
    calls = []
    for block in blocks("sh"):
        argv = shlex.split(block.replace(DOC_RELEASE, str(release)))
        assert argv[0] == "duckdb", block
        calls.append(argv)
    assert len(calls) >= 2
    return calls


def test_every_language_is_documented():
    assert blocks("sh") and blocks("python") and blocks("r")
    assert "## Excel" in QUERYING.read_text(encoding="utf-8")


def test_duckdb_cli_examples_sql(release):
    """The SQL of each CLI example, run exactly as the CLI would (same database, read-only, same text)."""
    for argv in _cli_calls(release):
        sql = argv[argv.index("-c") + 1]
        db = next((a for a in argv[1:] if a.endswith(".duckdb")), None)
        con = duckdb.connect(db or ":memory:", read_only=db is not None)
        try:
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
        assert rows, sql


# The dev dependencies install the DuckDB CLI (PyPI `duckdb-cli`, a 1.5 release: it also proves that DuckDB
# 1.x clients open the release files, which are written with storage version v1.5.0).
DUCKDB_CLI = next(
    (str(p) for p in (Path(sys.executable).parent / "duckdb",) if p.exists()), shutil.which("duckdb")
)


@pytest.mark.skipif(
    DUCKDB_CLI is None, reason="no duckdb CLI installed; the examples' SQL ran via the Python API"
)
def test_duckdb_cli_examples_binary(release):
    for argv in _cli_calls(release):
        res = subprocess.run([DUCKDB_CLI, *argv[1:]], capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip()


def test_python_example(release, monkeypatch, capsys):
    (code,) = blocks("python")
    ns: dict = {}
    exec(compile(code.replace(DOC_RELEASE, str(release)), str(QUERYING), "exec"), ns)
    assert len(ns["hle"]) == 15 and set(ns["hle"].columns) == {"area_name", "period_start", "value", "unit"}
    assert len(ns["prov"]) == 5 and ns["prov"].source_sha256.eq(mini_release.SHA).all()
    assert ns["prov"].feed_title.notna().all() and ns["prov"].retrieved_at.notna().all()
    assert str(ns["metrics"].period_start.dtype).startswith("datetime64")  # typed via the CSV-W metadata
    assert len(ns["gaps"]) == 3
    assert "United Kingdom" in capsys.readouterr().out


def _r_ready() -> str | None:
    if shutil.which("Rscript") is None:
        return "Rscript is not installed"
    res = subprocess.run(
        ["Rscript", "-e", "library(DBI); library(duckdb)"], capture_output=True, text=True, timeout=60
    )
    return None if res.returncode == 0 else "R packages DBI/duckdb are not installed"


def test_r_example(release, tmp_path):
    why = _r_ready()
    if why:
        pytest.skip(f"{why}; the same SQL ran in the Python and CLI tests")
    (code,) = blocks("r")
    script = tmp_path / "example.R"
    script.write_text(code.replace(DOC_RELEASE, str(release)))
    res = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "United Kingdom" in res.stdout


def test_excel_example(release):
    """What the Excel section tells an analyst to do, done with openpyxl."""
    text = QUERYING.read_text(encoding="utf-8")
    wb = load_workbook(release / "mission_metrics.xlsx", read_only=True)
    assert wb.sheetnames[0] == "Notes"
    assert "**Notes**" in text and "**M7 Health**" in text and "M7 Health" in wb.sheetnames
    documented = re.search(r"header row\s+`([^`]+)`", text).group(1)
    header = [h.strip() for h in documented.split(",")]
    rows = list(wb["M7 Health"].iter_rows(values_only=True))
    assert list(rows[0]) == header
    col = {h: i for i, h in enumerate(header)}
    nations = [
        r for r in rows[1:] if r[col["metric_id"]] == "m7_hle_male" and r[col["geography_level"]] == "nation"
    ]
    assert len(nations) == 12  # 4 nations x 3 periods
    assert any(r[col["metric_id"]] == "m7_hle_gap_male" for r in rows[1:])
    notes = [r for r in wb["Notes"].iter_rows(values_only=True)]
    assert notes[1][:2] == ("Release", "release")
    assert any(r and r[0] == "m7_hle_male" for r in notes)
    assert any(r and r[0] == "Sources" for r in notes)


def test_readme_examples_are_the_tested_ones():
    """The README's query examples are copies of docs/querying.md's, which the tests above run."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    querying = QUERYING.read_text(encoding="utf-8")
    section = readme[readme.index("## Querying the current release") :]
    section = section[: section.index("\n## ", 3)]
    found = re.findall(r"```(sh|python|r)\n(.*?)```", section, flags=re.S)
    assert {lang for lang, _ in found} == {"sh", "python", "r"}
    for lang, code in found:
        assert f"```{lang}\n{code}```" in querying, f"README {lang} example is not in docs/querying.md"
