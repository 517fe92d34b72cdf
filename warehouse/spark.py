"""The shared dbt project on Spark: the environment and the dbt invocation of the `spark` target.

Belongs here: running dbt against the `spark` output of dbt_project/profiles.yml (dbt-spark, `method: session`:
a local pyspark in the dbt process, bound to 127.0.0.1, no UI) with the settings of core.settings, and reading
what it wrote. The sources are registered by the project itself (on-run-start, macros/generated/
spark_sources.sql); the selection `portable` (dbt_project/selectors.yml) is what runs on both engines. The Spark
JVM is a child of the dbt process (PySpark's gateway exits with its parent), and the whole process group is
killed on timeout, so no JVM outlives a call. Nothing here downloads Spark or a jar: only the pyspark wheel.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.dbt import dbt_executable
from core.settings import child_environment, get_settings


@dataclass
class SparkRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def spark_environment(data_dir: Path, raw_location: str | None = None) -> dict[str, str]:
    """The variables the `spark` profile reads (the Spark warehouse and metastore go under data_dir/warehouse)."""
    s = get_settings()
    env = {
        "LEVELUP_DATA_DIR": str(data_dir),
        "LEVELUP_SPARK_MASTER": s.spark_master,
        "LEVELUP_SPARK_DRIVER_MEMORY": s.spark_driver_memory,
        "LEVELUP_SPARK_SHUFFLE_PARTITIONS": str(s.spark_shuffle_partitions),
        "LEVELUP_SPARK_CODEGEN": str(s.spark_codegen).lower(),
        "LEVELUP_SPARK_ADAPTIVE": str(s.spark_adaptive).lower(),
        "LEVELUP_SPARK_JAVA_OPTIONS": s.spark_java_options,
        "LEVELUP_SPARK_CATALOG": s.spark_catalog,
        "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", "python3"),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }
    raw = raw_location or s.spark_raw_location
    if raw:
        env["LEVELUP_SPARK_RAW_LOCATION"] = raw
    return env


def spark_warehouse(data_dir: Path) -> Path:
    """Where the local Spark session keeps its tables (one folder per schema: <schema>.db/<table>/)."""
    return data_dir / "warehouse" / "spark" / "warehouse"


def run_dbt_spark(
    project_dir: Path,
    args: list[str],
    data_dir: Path,
    *,
    target_path: Path,
    log_path: Path,
    timeout: float = 900,
    raw_location: str | None = None,
) -> SparkRun:
    """`dbt <args> --target spark` in its own process group, killed whole after `timeout` seconds."""
    (data_dir / "warehouse" / "spark").mkdir(parents=True, exist_ok=True)
    cmd = [
        str(dbt_executable()),
        *args,
        "--target",
        "spark",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=data_dir / "warehouse" / "spark",  # anything Spark writes to its working directory lands here
        env=child_environment(spark_environment(data_dir, raw_location)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return SparkRun(-9, out, err + f"\ndbt on Spark did not finish within {timeout:.0f} s (killed)")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return SparkRun(proc.returncode, out, err)
