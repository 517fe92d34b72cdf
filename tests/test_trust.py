"""Issue 13 (trust), the defects that need no full refresh: registry text and paths (2, 4), the dbt child's
environment (2), the run lock (6), a killed run's Dagster record (5, 13), formula injection in CSV / XLSX (11),
custom-area positions in long YAML files (13). Each test drives the real code path on inputs written here; the
ones that need a published release are in tests/test_trust_runs.py."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from core.registry import RegistryError, parse_registry

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
KEY = "c2VjcmV0LWtleS1mb3ItdGhlLXRydXN0LXRlc3RzLTAx"  # a well-formed key for these tests only

REGISTRY = """
version: 1
contracts:
  tiny:
    columns: [{name: a}]
feeds:
  - id: probe-feed
    title: Probe
    family: ess
    publisher: ONS
    licence: OGL-3.0
    url: https://example.org/probe.csv
    mirror_path: ess/probe/probe.csv
    format: csv
    contract: tiny
    indicators:
      - {name: Count, measure_type: count, unit: people}
"""


# -- defect 2: registry text is never a template; dbt never sees a secret -----------------------------------


@pytest.mark.parametrize(
    "old, new, field",
    [
        ("title: Probe", "title: \"{{ env_var('LEVELUP_RESTRICTED_KEY') }}\"", "title"),
        ("publisher: ONS", 'publisher: "{% raw %}x{% endraw %}"', "publisher"),
        (
            "url: https://example.org/probe.csv",
            "url: \"https://example.org/{{env_var('LEVELUP_RESTRICTED_KEY')}}\"",
            "url",
        ),
        ("{name: Count,", "{name: \"{{ env_var('K') }}\",", "indicators.0.name"),
        ("columns: [{name: a}]", 'columns: [{name: "{# x #}"}]', "contract.columns.0.name"),
    ],
)
def test_registry_text_holding_a_template_is_refused_naming_feed_and_field(old, new, field):
    assert old in REGISTRY
    with pytest.raises(RegistryError) as err:
        parse_registry(REGISTRY.replace(old, new))
    message = str(err.value)
    assert f"feed 'probe-feed': field '{field}'" in message, message
    assert "never a template" in message


def test_dbt_child_process_never_sees_the_restricted_key(tmp_path, monkeypatch):
    """The resource every dbt step of a run uses, on a one-file dbt project: the child renders
    env_var('LEVELUP_RESTRICTED_KEY', 'absent') as 'absent' although the parent process has the key."""
    from orchestration.dbt import SecretFreeDbtCliResource, dbt_resource

    assert isinstance(dbt_resource(), SecretFreeDbtCliResource)
    proj = tmp_path / "probe"
    proj.mkdir()
    (proj / "dbt_project.yml").write_text('name: probe\nversion: "1.0"\nprofile: probe\n')
    (proj / "profiles.yml").write_text(
        'probe:\n  target: mem\n  outputs:\n    mem: {type: duckdb, path: ":memory:"}\n'
    )
    monkeypatch.setenv("LEVELUP_RESTRICTED_KEY", KEY)
    monkeypatch.setenv("LEVELUP_API_TOKEN_PEPPER", "pepper-for-the-trust-tests")
    resource = SecretFreeDbtCliResource(
        project_dir=str(proj), profiles_dir=str(proj), dbt_executable=str(BIN / "dbt")
    )
    sql = (
        'select \'{{ env_var("LEVELUP_RESTRICTED_KEY", "absent") }}\' as k, '
        '\'{{ env_var("LEVELUP_API_TOKEN_PEPPER", "absent") }}\' as p'
    )
    inv = resource.cli(["compile", "--inline", sql], raise_on_error=False, target_path=tmp_path / "target")
    messages = [e.raw_event.get("info", {}).get("msg", "") for e in inv.stream_raw_events()]
    assert inv.is_successful(), messages[-5:]
    compiled = [m for m in messages if "select " in m]
    assert compiled and "select 'absent' as k, 'absent' as p" in compiled[-1], compiled
    assert not any(KEY in m or "pepper-for" in m for m in messages)
    assert os.environ["LEVELUP_RESTRICTED_KEY"] == KEY  # put back for the steps that need it


def test_child_environment_has_no_secret(monkeypatch):
    from core.settings import child_environment

    monkeypatch.setenv("LEVELUP_RESTRICTED_KEY", KEY)
    monkeypatch.setenv("LEVELUP_RESTRICTED_KEY_FILE", "/nonexistent/key")
    env = child_environment()
    assert "LEVELUP_RESTRICTED_KEY" not in env and "LEVELUP_RESTRICTED_KEY_FILE" not in env
    assert KEY not in json.dumps(env)


# -- defect 4: mirror_path stays inside the mirror -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/etc/passwd", "../../etc/passwd", "ess/../../../etc/passwd", "~/x.csv"])
@pytest.mark.parametrize("field", ["mirror_path", "metadata_mirror_path"])
def test_a_mirror_path_leaving_the_mirror_is_refused_at_registry_load(path, field):
    text = REGISTRY.replace(
        "mirror_path: ess/probe/probe.csv",
        f"mirror_path: ess/probe/probe.csv\n    {field}: {json.dumps(path)}"
        if field != "mirror_path"
        else f"mirror_path: {json.dumps(path)}",
    )
    with pytest.raises(RegistryError) as err:
        parse_registry(text)
    assert f"feed 'probe-feed': field '{field}'" in str(err.value)
    assert "relative path inside the mirror" in str(err.value)


def test_fetch_confines_a_path_even_if_the_registry_check_is_bypassed(tmp_path):
    from ingest.fetch import FetchError, mirror_file

    feed = parse_registry(REGISTRY).get("probe-feed")
    for bad in ("/etc/passwd", "../../etc/passwd"):
        sneaky = feed.model_copy(update={"mirror_path": bad})  # model_copy skips validation
        with pytest.raises(FetchError, match="feed 'probe-feed': mirror_path"):
            mirror_file(sneaky, tmp_path)
    assert mirror_file(feed, tmp_path) == tmp_path / "ess" / "probe" / "probe.csv"


def test_validate_registry_command_refuses_passwd_without_quoting_it(tmp_path):
    reg = tmp_path / "feeds.yaml"
    reg.write_text(REGISTRY.replace("ess/probe/probe.csv", "../../../../../../etc/passwd"))
    res = subprocess.run(
        [str(BIN / "levelup"), "validate-registry", str(reg)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LEVELUP_DATA_DIR": str(tmp_path / "data")},
    )
    assert res.returncode == 2
    assert "feed 'probe-feed': field 'mirror_path'" in res.stderr
    assert "root:" not in res.stdout + res.stderr


# -- defect 6: one run per data directory --------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from core.runlock import run_lock
    from core.settings import get_settings
    with run_lock(get_settings(), wait_s=0, command="trust-test holder"):
        print("held", flush=True)
        time.sleep(120)
    """
)


def _env(data: Path, **extra) -> dict:
    env = {**os.environ, "LEVELUP_DATA_DIR": str(data), "PYTHONPATH": str(ROOT), **extra}
    env.pop("DAGSTER_HOME", None)
    return env


def test_a_second_run_is_refused_at_once_naming_the_holder_and_a_dead_holder_is_taken_over(tmp_path):
    from core.runlock import holder, run_lock
    from core.settings import Settings

    data = tmp_path / "data"
    data.mkdir()
    env = _env(data, LEVELUP_RUN_LOCK_WAIT="0")
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        info = holder(data / "run.lock")
        assert info["pid"] == proc.pid
        started = time.monotonic()
        second = subprocess.run(
            [str(BIN / "levelup"), "run"], env=env, capture_output=True, text=True, timeout=300
        )
        assert second.returncode == 3, second.stdout[-2000:] + second.stderr[-2000:]
        assert f"PID {proc.pid}" in second.stderr and info["started_at"] in second.stderr
        assert "Traceback" not in second.stderr
        assert not (data / "releases").exists()  # refused before any work
        assert time.monotonic() - started < 120  # at once: no wait (the CLI's own import time aside)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the holder dies holding the lock
        proc.wait(timeout=30)
    assert holder(data / "run.lock")["pid"] == proc.pid  # its record is still in the file: a stale lock
    with run_lock(Settings(data_dir=data), wait_s=0, command="after") as mine:
        assert mine["pid"] == os.getpid()
        assert holder(data / "run.lock")["command"] == "after"


# -- defect 5 and 13 (second bullet): a killed run does not jam the queue ------------------------------------


def test_a_run_left_started_by_a_dead_process_is_failed_at_the_next_start_and_the_queue_moves(tmp_path, monkeypatch):
    """The instance levelup writes (dagster.yaml: writes=warehouse limited to 1 run): a STARTED run of a PID that
    is gone blocks a queued run, by the queue's own counter; recovery fails it (logged), the queued run may then
    start, a live run is left alone, and no SQLite -wal file is left in the Dagster home."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter, job, op
    from dagster._core.storage.dagster_run import DagsterRun
    from dagster._utils.tags import TagConcurrencyLimitsCounter

    from orchestration.cli.common import DAGSTER_YAML
    from orchestration.recovery import PID_TAG, STARTED_TAG, process_tags, recover_stuck_runs

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a PID that no longer runs

    @op
    def noop_op():
        return 1

    @job
    def probe_job():
        noop_op()

    writes = {"levelup/writes": "warehouse"}
    lines: list[str] = []

    def blocked(instance, run) -> bool:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        running = instance.get_runs(
            filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])
        )
        return TagConcurrencyLimitsCounter(limits, running).is_blocked(run)

    monkeypatch.setenv("DAGSTER_HOME", str(home))  # how every Dagster tool opens the instance
    with DagsterInstance.get() as instance:
        stuck = instance.create_run_for_job(
            probe_job,
            status=DagsterRunStatus.STARTED,
            tags={**writes, PID_TAG: str(dead.pid), STARTED_TAG: "1000.0"},
        )
        alive = instance.create_run_for_job(probe_job, status=DagsterRunStatus.STARTED, tags=process_tags())
        # the next run the UI / a sensor would queue (judged as the queue daemon does; not stored: queued runs
        # need a code location to be launched from)
        queued = DagsterRun(job_name="probe_job", run_id="next-queued-run", tags=writes)
        assert blocked(instance, queued)  # the jam: the dead run holds the only warehouse slot

        recovered = recover_stuck_runs(instance, echo=lines.append)

        assert recovered == [stuck.run_id]
        assert instance.get_run_by_id(stuck.run_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == DagsterRunStatus.STARTED  # its process lives
        assert any(stuck.run_id in line and f"PID {dead.pid}" in line for line in lines), lines
        assert not blocked(instance, queued)  # the queued run may go ahead now
    assert not list(home.rglob("*-wal")), list(home.rglob("*-wal"))


# -- defect 11: no spreadsheet formula in a CSV or XLSX cell -------------------------------------------------

EVIL = "=cmd|' /C calc'!A0"
TEXTS = [EVIL, "+44 cmd", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "Belfast inner city", "it's = fine"]


def test_csv_export_neutralises_formula_cells_and_leaves_numbers_alone(tmp_path):
    from publish.exports.csvw import write_csv

    out = tmp_path / "t.csv"
    with duckdb.connect() as con:
        con.execute("create table t (name varchar, value double, n integer)")
        con.executemany("insert into t values (?, ?, ?)", [(t, -1.5, -3) for t in TEXTS])
        write_csv(con, "t", out)
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    names = [r[0] for r in rows]
    assert names == ["'" + t for t in TEXTS[:6]] + TEXTS[6:]
    assert {r[1] for r in rows} == {"-1.5"} and {r[2] for r in rows} == {"-3"}


def test_xlsx_workbook_neutralises_formula_cells(tmp_path):
    from openpyxl import load_workbook

    from publish.exports.workbook import NOTES_COLUMNS, WORKBOOK_COLUMNS, write_workbook

    with duckdb.connect() as con:
        types = {"value": "double", "is_proxy": "boolean", "period_start": "date", "period_end": "date"}
        cols = ", ".join(f"{c} {types.get(c, 'varchar')}" for c in WORKBOOK_COLUMNS)
        con.execute(f"create table mission_metrics (mission integer, {cols})")
        values = {
            "value": -2.5,
            "is_proxy": False,
            "period_start": None,
            "period_end": None,
            "area_name": EVIL,
        }
        row = [1] + [values.get(c, c) for c in WORKBOOK_COLUMNS]
        con.execute(f"insert into mission_metrics values ({', '.join('?' * len(row))})", row)
        catalogue = [
            {k: ("@bad" if k == "definition" else 1 if k == "mission" else k) for k in NOTES_COLUMNS}
        ]
        write_workbook(con, tmp_path / "w.xlsx", catalogue, {}, "r1")
    wb = load_workbook(tmp_path / "w.xlsx")  # not read-only: cell data types are checked
    sheet = wb[wb.sheetnames[1]]
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["area_name"].value == "'" + EVIL and row["area_name"].data_type == "s"
    assert row["value"].value == -2.5 and row["value"].data_type == "n"
    formulas = [c.coordinate for ws in wb for r in ws.iter_rows() for c in r if c.data_type == "f"]
    assert formulas == []
    notes = [c.value for r in wb["Notes"].iter_rows() for c in r]
    assert "'@bad" in notes and "@bad" not in notes


# -- defect 13 (first bullet): positions in a long YAML custom-area file -------------------------------------


def test_yaml_custom_area_with_more_than_9999_members_reports_the_right_position(tmp_path):
    from ingest.custom_areas import CustomAreaError, read_custom_areas

    folder = tmp_path / "custom_areas"
    folder.mkdir()
    members = [f"E01{i:06d}" for i in range(12_000)]
    members[10_500] = "not-a-code"
    (folder / "big.yaml").write_text(
        "custom_areas:\n  - name: First\n    members: [E08000019]\n  - name: Big\n    members:\n"
        + "".join(f"      - {m}\n" for m in members)
    )
    with pytest.raises(CustomAreaError) as err:
        read_custom_areas(folder)
    # area #2, member #10501, on line 6 + 10500 of the file
    assert "big.yaml area #2 member #10501 (line 10506)" in str(err.value), str(err.value)

    members[10_500] = "E01999999"
    (folder / "big.yaml").write_text(
        "custom_areas:\n  - name: Big\n    members:\n" + "".join(f"      - {m}\n" for m in members)
    )
    rows = read_custom_areas(folder)
    assert len(rows) == 12_000
    assert [r["source_row"] for r in rows[:2]] == [4, 5] and rows[-1]["source_row"] == 12_003
    assert len({r["source_row"] for r in rows}) == 12_000  # every member its own line, no collision


# -- defect 12: one message per cause, the real column, a diagnosis (the real pay feed, the real ingest path) --

PAY_FEED = "gross-median-weekly-pay"


def _pay_rows(mirror: Path) -> tuple[list[str], list[list[str]], str]:
    from core.registry import load_registry

    rel = load_registry().get(PAY_FEED).mirror_path
    with open(mirror / rel, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:], rel


def _text(header, body) -> bytes:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *body])
    return buf.getvalue().encode()


def _shift(header, body):
    """Every row moved one column right after the area code (same width: the last column falls off)."""
    return [[r[0], "", *r[1:-1]] for r in body]


def _thousands(header, body):
    i = header.index("observation")
    return [[f"{float(c) * 10:,.1f}" if j == i and c and n % 5 == 0 else c for j, c in enumerate(r)]
            for n, r in enumerate(body)]  # fmt: skip


def _rescaled(header, body):
    i = header.index("observation")
    return [[f"{float(c) * 100:.1f}" if j == i and c else c for j, c in enumerate(r)] for r in body]


@pytest.mark.mirror
@pytest.mark.parametrize(
    "case, fn, expected",
    [
        ("shifted", _shift, "columns are shifted"),
        ("thousands", _thousands, "values use thousands separators, e.g. "),
        ("rescaled", _rescaled, "values look rescaled: divided by 100 they fall within the range"),
    ],
)
def test_a_broken_version_gets_one_message_per_cause_with_a_diagnosis(
    case, fn, expected, mirror, tmp_path, monkeypatch, data_dir
):
    from core.registry import load_registry
    from ingest.pipeline import ingest_feed

    header, body, rel = _pay_rows(mirror)
    overlay = tmp_path / "mirror"
    (overlay / rel).parent.mkdir(parents=True)
    monkeypatch.setenv("LEVELUP_MIRROR", str(overlay))
    (overlay / rel).write_bytes(_text(header, fn(header, body)))
    res = ingest_feed(load_registry().get(PAY_FEED), raise_on_failure=False)
    assert res.status == "failed"
    message = res.message
    assert expected in message, message
    assert message.count(expected.split(":")[0]) == 1, message  # said once, not once per column
    assert "TypeError" not in message and "Traceback" not in message
    assert f"'{PAY_FEED}'" in message
    if case != "shifted":
        assert "broke its contract (1 cause(s))" in message, message
        assert "column 'observation'" in message and "line " in message, message  # the real column, its rows
        assert "column 'areacd'" not in message and "column 'period'" not in message, message


@pytest.mark.mirror
def test_a_shifted_file_is_reported_as_one_cause(mirror, tmp_path, monkeypatch, data_dir):
    from core.registry import load_registry
    from ingest.pipeline import ingest_feed

    header, body, rel = _pay_rows(mirror)
    overlay = tmp_path / "mirror"
    (overlay / rel).parent.mkdir(parents=True)
    monkeypatch.setenv("LEVELUP_MIRROR", str(overlay))
    (overlay / rel).write_bytes(_text(header, _shift(header, body)))
    res = ingest_feed(load_registry().get(PAY_FEED), raise_on_failure=False)
    assert "broke its contract (1 cause(s))" in res.message, res.message
