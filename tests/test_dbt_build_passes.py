"""The warehouse step's dbt passes (orchestration/assets/warehouse.py): one `dbt build`, and a second pass only
when a failing test made dbt skip the models downstream of it. dbt itself is replaced by a recorder that writes
the run_results.json a real invocation would, so each case is exact and fast; the real builds (first refresh,
one-feed refresh, a check failure that rejects a version) are in test_full_refresh, test_release_safety and
test_trust_runs."""

from __future__ import annotations

import json

from orchestration.assets.warehouse import _build_what_tests_skipped


class RecordingDbt:
    """`cli(args, ...)` records args and writes `results[args[0]]` as the invocation's run_results.json."""

    def __init__(self, target, results):
        self.target, self.results, self.calls = target, results, []

    def cli(self, args, **_):
        self.calls.append(list(args))
        (self.target / "run_results.json").write_text(json.dumps({"results": self.results[args[0]]}))
        return Invocation()


class Invocation:
    def stream(self):
        yield from ()

    def is_successful(self):
        return True


def drain(gen):
    """Run a generator to its end and return its value (what `yield from` gives the caller)."""
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


def r(uid, status):
    return {"unique_id": uid, "status": status}


FIRST_BUILD = [
    r("model.levelup.stg_a", "success"),
    r("test.levelup.unique_stg_a_id.1", "fail"),
    r("model.levelup.int_b", "skipped"),
    r("test.levelup.not_null_int_b_id.2", "skipped"),
    r("model.levelup.mart_c", "skipped"),
]


def test_models_a_failing_test_skipped_are_built_then_tested(tmp_path):
    dbt = RecordingDbt(
        tmp_path,
        {
            "run": [r("model.levelup.int_b", "success"), r("model.levelup.mart_c", "success")],
            "test": [r("test.levelup.not_null_int_b_id.2", "pass")],
        },
    )
    flags = ["--exclude", "resource_type:unit_test", "--full-refresh"]
    results = drain(_build_what_tests_skipped(None, dbt, tmp_path, FIRST_BUILD, flags))
    assert dbt.calls == [
        ["run", "--select", "int_b", "mart_c", "--full-refresh"],
        ["test", "--select", "int_b", "mart_c", "--exclude", "resource_type:unit_test"],
    ]
    by_id = {x["unique_id"]: x["status"] for x in results}
    assert len(results) == len(by_id) == 5  # one result per node: the second pass replaced the skipped ones
    assert by_id == {
        "model.levelup.stg_a": "success",
        "test.levelup.unique_stg_a_id.1": "fail",  # still failed: the publish gate holds back what it tests
        "model.levelup.int_b": "success",
        "test.levelup.not_null_int_b_id.2": "pass",
        "model.levelup.mart_c": "success",
    }


def test_no_second_pass_when_nothing_was_skipped_or_a_model_errored(tmp_path):
    dbt = RecordingDbt(tmp_path, {})
    passed = [r("model.levelup.stg_a", "success"), r("test.levelup.unique_stg_a_id.1", "pass")]
    assert drain(_build_what_tests_skipped(None, dbt, tmp_path, passed, [])) == passed
    errored = [r("model.levelup.stg_a", "error"), r("model.levelup.int_b", "skipped")]
    # downstream of a model that errored would be built from an incomplete upstream: the run stops instead
    assert drain(_build_what_tests_skipped(None, dbt, tmp_path, errored, [])) == errored
    assert dbt.calls == []
