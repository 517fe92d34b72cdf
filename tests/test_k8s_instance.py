"""The Kubernetes deployment's Dagster instance (deploy/k8s/dagster.yaml, docs/scale-out.md) is valid: Dagster
loads it, builds its dagster-k8s run launcher (one run worker pod per run) and its queued run coordinator with the
warehouse-writer limit, and every job that writes the warehouse carries the tag that limit counts.

Nothing talks to a cluster: the launcher is given a kubeconfig naming 127.0.0.1, which it never contacts here."""

from __future__ import annotations

import importlib.util

import pytest
import yaml

from core.settings import PROJECT_ROOT

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("dagster_k8s") is None, reason="dagster-k8s is not installed ('.[k8s]')"
)

INSTANCE = PROJECT_ROOT / "deploy" / "k8s" / "dagster.yaml"
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: test, user: {token: unused}}]
contexts: [{name: test, context: {cluster: test, user: test, namespace: levelup}}]
current-context: test
"""


def test_k8s_instance_config_loads_with_the_writer_limit(tmp_path, data_dir, monkeypatch):
    from dagster import DagsterInstance
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_k8s import K8sRunLauncher

    config = yaml.safe_load(INSTANCE.read_text())
    # outside a cluster: a kubeconfig file instead of the pod's service account (the rest as deployed)
    (tmp_path / "kubeconfig").write_text(KUBECONFIG)
    config["run_launcher"]["config"].update(
        load_incluster_config=False, kubeconfig_file=str(tmp_path / "kubeconfig")
    )
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    with DagsterInstance.from_config(str(home)) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, K8sRunLauncher)
        assert launcher.job_namespace == "levelup"
        assert launcher.env_secrets == ["levelup-secrets"]
        coordinator = instance.run_coordinator
        assert isinstance(coordinator, QueuedRunCoordinator)
        limits = coordinator.get_run_queue_config().tag_concurrency_limits
        assert {"key": "levelup/writes", "value": "warehouse", "limit": 1} in limits

    from orchestration.definitions import defs

    for name in ("full_refresh",):
        job = defs.resolve_job_def(name)
        assert job.tags.get("levelup/writes") == "warehouse", f"job {name} does not carry the writer tag"


def test_k8s_instance_rejects_a_bad_launcher_config(tmp_path, monkeypatch):
    """The same loader refuses a misspelt launcher field: the test above would notice a broken file."""
    from dagster import DagsterInstance
    from dagster._core.errors import DagsterInvalidConfigError

    config = yaml.safe_load(INSTANCE.read_text())
    config["run_launcher"]["config"]["job_namespacee"] = "typo"
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(DagsterInvalidConfigError):
        DagsterInstance.from_config(str(home)).run_launcher  # noqa: B018
