"""Every setting of the platform, in one place: the `LEVELUP_*` environment variables and the data layout.

Belongs here: the `Settings` class (pydantic-settings) that owns every `LEVELUP_*` variable, resolving path
settings once (relative paths are taken against the working directory of the process that starts), and the
fixed layout of the data directory. Nothing here touches the network or a database. Other modules read
settings through `get_settings()`; they never read `LEVELUP_*` variables from `os.environ` themselves.

`init_settings()` is called once by each entry point (the `levelup` CLI, the Dagster code location, the test
session): it resolves the settings and writes the absolute paths back into the environment, so that child
processes (dbt, a second `levelup`) started from another working directory see the same folders.

Layout of the data directory (default `./data`):

    raw/<feed_id>/versions/<sha16>.csv       immutable landed versions: a CSV feed's source file as fetched
                                             (XLSX / JSON: <sha16>.parquet, the parsed table), + .json sidecar
    raw/<feed_id>/current.json               the version dbt reads (pointer of record; current.csv|parquet
                                             is the symlink to its file)
    raw/<feed_id>/ingest_log.jsonl           one line per ingest attempt
    raw/<feed_id>/http_state.json            ETag / Last-Modified for conditional GET
    warehouse/warehouse.duckdb               written by dbt only
    releases/<release_id>/                   published releases; `current` -> last good one
    restricted/                              restricted zone (encrypted landing, its own database)
    landing/                                 manual and restricted deliveries
    custom_areas/                            analyst-defined areas (CSV / YAML)
    dagster_home/                            Dagster instance (run history)
    run.lock                                 held by the one `levelup run` writing this data directory
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Variables that hold secrets: never passed to dbt or any other child process that does not need them, and
# never written to a log, a manifest or the Dagster UI.
SECRET_VARIABLES = ("LEVELUP_RESTRICTED_KEY", "LEVELUP_RESTRICTED_KEY_FILE", "LEVELUP_API_TOKEN_PEPPER")
PATH_VARIABLES = (
    "data_dir",
    "mirror",
    "registry",
    "dbt_project_dir",
    "notify_log",
    "analysis_models",
    "dashboards_pages_dir",
)


def _absolute(value: Path | None) -> Path | None:
    return None if value is None else Path(value).expanduser().resolve()


class Settings(BaseSettings):
    """The platform's settings. Each field is read from `LEVELUP_<FIELD>` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="LEVELUP_", extra="ignore", frozen=True)

    # where things are
    data_dir: Path = Field(PROJECT_ROOT / "data", description="raw zone, warehouse and releases")
    mirror: Path | None = Field(None, description="read every external source from <mirror>/<mirror_path>")
    registry: Path = Field(PROJECT_ROOT / "registry" / "feeds.yaml", description="the feed registry")
    registry_overlays: str = Field(
        "", description="extra registry files merged over the registry (os.pathsep-separated; benchmarks)"
    )
    dbt_project_dir: Path = Field(
        PROJECT_ROOT / "dbt_project", description="the shared dbt project (benchmarks point at a copy)"
    )

    analysis_models: Path | None = Field(
        None, description="similar-areas model configuration (default: analysis/models.yml)"
    )

    # fetching
    http_connect_timeout: float = Field(10.0, description="seconds to connect to a source")
    http_read_timeout: float = Field(60.0, description="seconds between bytes from a source")
    http_backoff: float = Field(1.0, description="exponential backoff multiplier between retries (s)")
    preflight_timeout: float = Field(3.0, description="seconds to reach each source host before a run")

    # the engine
    duckdb_memory_limit: str = Field(
        "2GB", description="DuckDB memory limit for ingest, dbt and publish (each spills to disk beyond it)"
    )
    duckdb_threads: int | None = Field(None, description="DuckDB threads (default: all cores)")

    # the same dbt project on Spark (dbt --target spark; docs/scale-out.md)
    spark_master: str = Field("local[2]", description="Spark master of the session target (local[2] here)")
    spark_driver_memory: str = Field("2g", description="Spark driver memory (local mode: the whole engine)")
    spark_shuffle_partitions: int = Field(2, description="spark.sql.shuffle.partitions (small on 2 cores)")
    spark_codegen: bool = Field(
        True,
        description="Spark whole-stage code generation (spark.sql.codegen.wholeStage; off: interpreted expressions, "
        "cheaper on small inputs where generating and JIT-compiling the code costs more than it saves)",
    )
    spark_adaptive: bool = Field(
        True, description="Spark adaptive query execution (spark.sql.adaptive.enabled)"
    )
    spark_java_options: str = Field(
        "",
        description="extra JVM options of the Spark driver (local mode: the whole engine), e.g. "
        "-XX:CompileThresholdScaling=5: the JIT compiles fewer methods, cheaper on small inputs",
    )
    spark_catalog: Literal["hive", "in-memory"] = Field(
        "hive",
        description="Spark's table catalog (spark.sql.catalogImplementation): hive, a Derby metastore under the "
        "data dir that outlives the session; in-memory, the session's own (the tables' Parquet files are "
        "written either way), cheaper for a one-off build",
    )
    spark_raw_location: str | None = Field(
        None,
        description="the raw zone as Spark reads it (a cluster: object storage, e.g. s3a://bucket/raw); "
        "default <data_dir>/raw",
    )

    # quality gate
    row_tolerance: float = Field(0.25, description="a feed's row count may move ±this share between releases")
    drift_floor: float = Field(
        0.05, description="smallest per-indicator mean-drift tolerance, whatever the history says"
    )
    drift_default: float = Field(
        0.25, description="per-indicator mean-drift tolerance when an indicator has too little history"
    )
    completeness_drop: float = Field(0.10, description="share of rows with a value may fall by this much")
    keep_releases: int = Field(5, description="releases kept (the current one is never pruned)")

    # restricted zone
    restricted_key: SecretStr | None = Field(None, description="urlsafe base64 of the 32-byte zone key")
    restricted_key_file: Path | None = Field(
        None, description="a file outside the repository holding the key"
    )
    sdc_min_count: int = Field(10, description="minimum unweighted respondents per published cell")
    sdc_min_numerator: int = Field(
        3, description="smallest unweighted numerator (and complement) a published share may rest on"
    )

    # automation and notifications
    automation: str = Field("", description="'running' starts schedules and polling sensors switched on")
    landing_settle_s: float = Field(5.0, description="a landing file must be this old (s) to be picked up")
    notify_log: Path | None = Field(None, description="append failure notifications here (JSON lines)")
    notify_webhook: str | None = Field(None, description="POST failure notifications here")
    notify_timeout: float = Field(5.0, description="seconds per webhook attempt")
    notify_retries: int = Field(3, description="webhook attempts")
    run_lock_wait: float = Field(
        0.0, description="seconds a second `levelup run` waits for the run lock before refusing"
    )

    # serving
    api_host: str = Field("127.0.0.1", description="`levelup serve` host")
    api_port: int = Field(8000, description="`levelup serve` port")
    api_workers: int = Field(
        2,
        description="`levelup serve` worker processes, one per core (each opens the releases it serves itself)",
    )
    api_tokens_file: Path | None = Field(None, description="hashed API tokens and their roles (JSON)")
    api_max_rows: int = Field(50_000, description="largest result the data API returns in one response")
    api_max_codes: int = Field(500, description="most area codes one data API request may name")
    api_max_indicators: int = Field(
        100, description="most indicators or metrics one data API request may name"
    )
    api_audit_log: Path | None = Field(
        None,
        description="append-only audit log of cleared API requests (default <data>/restricted/api_audit.jsonl)",
    )
    api_token_pepper: SecretStr | None = Field(
        None,
        description="secret mixed into API token hashes (HMAC-SHA256); tokens hashed with it need it to verify",
    )
    api_oidc_issuer: str | None = Field(
        None, description="OIDC issuer whose access tokens the data API accepts"
    )
    api_oidc_audience: str | None = Field(
        None, description="`aud` the data API's OIDC access tokens must carry"
    )
    api_oidc_jwks_url: str | None = Field(
        None, description="the issuer's JWKS URL (default: from <issuer>/.well-known/openid-configuration)"
    )
    api_oidc_jwks_file: Path | None = Field(None, description="a local JWKS file instead of the issuer's URL")
    api_oidc_roles_claim: str = Field(
        "roles", description="claim holding the caller's roles (dotted path, e.g. realm_access.roles)"
    )
    api_oidc_algorithms: str = Field(
        "RS256,ES256", description="signature algorithms accepted (comma-separated)"
    )
    api_oidc_leeway: float = Field(30.0, description="seconds of clock skew allowed on exp/nbf/iat")
    api_watch_interval: float = Field(
        1.0, description="seconds between the API's looks at releases/current (to open a new release early)"
    )
    dashboards_host: str = Field("127.0.0.1", description="`levelup dashboards` host")
    dashboards_port: int = Field(8050, description="`levelup dashboards` port")
    dashboards_pages_dir: Path = Field(
        PROJECT_ROOT / "dashboards" / "pages", description="the declarative dashboard pages (YAML files)"
    )
    dashboards_tokens_file: Path | None = Field(
        None, description="hashed dashboard tokens and their roles (JSON); unset = no cleared access"
    )

    # tests only
    crashpoint: str | None = Field(None, description="pause at this named point so a test can SIGKILL")
    crashpoint_sleep: float = Field(600.0, description="seconds to pause at the crashpoint")

    @field_validator("data_dir", "registry", "dbt_project_dir", "dashboards_pages_dir", mode="after")
    @classmethod
    def _resolve(cls, v: Path) -> Path:
        return _absolute(v)

    @field_validator(
        "mirror",
        "notify_log",
        "restricted_key_file",
        "api_tokens_file",
        "api_audit_log",
        "api_oidc_jwks_file",
        "analysis_models",
        "dashboards_tokens_file",
    )
    @classmethod
    def _resolve_optional(cls, v: Path | None) -> Path | None:
        return _absolute(v)

    @field_validator(
        "mirror",
        "api_tokens_file",
        "api_audit_log",
        "api_token_pepper",
        "api_oidc_issuer",
        "api_oidc_audience",
        "api_oidc_jwks_url",
        "api_oidc_jwks_file",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, v):
        return v or None

    # -- layout ------------------------------------------------------------------------------------
    @property
    def duckdb_config(self) -> dict[str, object]:
        """The config every DuckDB connection of a run opens with: the memory limit (beyond it DuckDB spills or,
        for what cannot spill, fails naming the limit) and the thread count if one is set."""
        config: dict[str, object] = {"memory_limit": self.duckdb_memory_limit}
        if self.duckdb_threads:
            config["threads"] = self.duckdb_threads
        return config

    @property
    def registry_path(self) -> Path:
        return self.registry

    @property
    def overlay_paths(self) -> list[Path]:
        return [_absolute(Path(p)) for p in self.registry_overlays.split(os.pathsep) if p.strip()]

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def releases_dir(self) -> Path:
        return self.data_dir / "releases"

    @property
    def current_release(self) -> Path:
        return self.releases_dir / "current"

    @property
    def restricted_dir(self) -> Path:
        return self.data_dir / "restricted"

    @property
    def api_audit_path(self) -> Path:
        return self.api_audit_log or self.restricted_dir / "api_audit.jsonl"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def custom_areas_dir(self) -> Path:
        return self.data_dir / "custom_areas"

    @property
    def dagster_home(self) -> Path:
        env = os.environ.get("DAGSTER_HOME")
        return Path(env).resolve() if env else self.data_dir / "dagster_home"

    @property
    def run_lock_path(self) -> Path:
        return self.data_dir / "run.lock"

    @property
    def automation_on(self) -> bool:
        return self.automation.lower() in ("1", "on", "true", "running")

    def feed_dir(self, feed_id: str) -> Path:
        return self.raw_dir / feed_id

    def check_mirror(self) -> None:
        if self.mirror is not None and not self.mirror.is_dir():
            raise NotADirectoryError(
                f"LEVELUP_MIRROR={os.environ.get('LEVELUP_MIRROR')!r} resolves to {self.mirror}, "
                "which is not a directory"
            )


def get_settings() -> Settings:
    """The settings as the environment gives them now (tests change the environment between calls)."""
    return Settings()


def init_settings() -> Settings:
    """Resolve the settings once at start-up and export the absolute paths for child processes."""
    settings = get_settings()
    for field in PATH_VARIABLES:
        value = getattr(settings, field)
        if value is not None:
            os.environ[f"LEVELUP_{field.upper()}"] = str(value)
    os.environ["LEVELUP_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit  # dbt's profile reads it
    # Child processes import the platform's own packages from this checkout (dbt's Python models import
    # `analysis`), whatever the installed copy maps.
    path = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(PROJECT_ROOT) not in path:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), *[p for p in path if p]])
    return settings


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process that needs no secret (dbt, a sub-`levelup`): the current one with
    every secret variable removed, absolute paths, and telemetry off."""
    init_settings()
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    env.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    env.update(extra or {})
    return env
