"""Start-up behaviour a new user meets first (issue 11): relative path settings resolved once, from the directory
the command was started in, and a refresh with no network and no mirror refused at once with one clear message."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from core.settings import PROJECT_ROOT, init_settings

LEVELUP = str(Path(sys.executable).parent / "levelup")


def test_a_relative_mirror_is_resolved_from_the_start_directory_and_exported(tmp_path, monkeypatch):
    (tmp_path / "project" / "shared" / "data").mkdir(parents=True)
    (tmp_path / "project" / "work").mkdir()
    monkeypatch.chdir(tmp_path / "project" / "work")
    monkeypatch.setenv("LEVELUP_MIRROR", "../shared/data")
    monkeypatch.setenv("LEVELUP_DATA_DIR", "data")
    settings = init_settings()
    expected = (tmp_path / "project" / "shared" / "data").resolve()
    assert settings.mirror == expected
    assert settings.data_dir == (tmp_path / "project" / "work" / "data").resolve()
    # child processes (dbt, pytest's sub-runs) start in other directories: they get the absolute path
    assert os.environ["LEVELUP_MIRROR"] == str(expected)
    monkeypatch.chdir(tmp_path)
    assert init_settings().mirror == expected


def test_a_mirror_that_is_not_a_directory_is_refused_naming_the_setting(tmp_path):
    env = {**os.environ, "LEVELUP_MIRROR": "no/such/mirror", "LEVELUP_DATA_DIR": str(tmp_path / "data")}
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.run(
        [LEVELUP, "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "LEVELUP_MIRROR" in out and "not a directory" in out, out[-2000:]
    assert "Traceback" not in out, out[-3000:]


def test_no_network_and_no_mirror_is_refused_before_any_work_naming_the_sources_and_the_mirror_setting(
    tmp_path,
):
    """Every source host is made unreachable (a copy of the registry whose addresses point at a closed local
    port), so the test does not depend on this machine having no internet."""
    registry = (PROJECT_ROOT / "registry" / "feeds.yaml").read_text()
    closed = re.sub(r"https://[^/\s]+", "http://127.0.0.1:9", registry)
    assert closed != registry
    (tmp_path / "feeds.yaml").write_text(closed)
    env = {
        **os.environ,
        "LEVELUP_REGISTRY": str(tmp_path / "feeds.yaml"),
        "LEVELUP_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("LEVELUP_MIRROR", None)
    env.pop("DAGSTER_HOME", None)
    proc = subprocess.run(
        [LEVELUP, "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "127.0.0.1:9" in out and "LEVELUP_MIRROR" in out and "can be reached" in out, out[-2000:]
    assert "Traceback" not in out and "dagster" not in out.lower(), out[-3000:]
    # nothing was built: no warehouse, no release (and so the refusal came before any Dagster or dbt work)
    assert not (tmp_path / "data" / "warehouse" / "warehouse.duckdb").exists()
    assert not (tmp_path / "data" / "releases" / "current").exists()
