"""Onboarding a feed from a sample: inference on a real ESS file that the registry does not know yet, and the
scaffold command end to end (stanza + staging model + docs stub, validated, ingested, built, published) in a
sandbox copy of the project, so the repository itself is never modified."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
import yaml
from test_landing import parse_json_line, run_in
from test_landing import sandbox as sandbox  # noqa: F401  (session fixture, shared build)

from core.registry import load_registry
from onboarding.scaffold import guess_measure_type, infer_sample

pytestmark = [pytest.mark.mirror, pytest.mark.xdist_group("sandbox")]
# Every ESS file of the mirror is registered (issue 14): the end-to-end test scaffolds the cigarette-smokers file
# again under a new id, pointing at the same mirror file.
SAMPLE = "cigarette-smokers"
NEW_FEED = "cigarette-smokers-sample"
SAMPLE_URL = (
    f"https://raw.githubusercontent.com/ONSdigital/explore-local-statistics-data/main/{SAMPLE}/{SAMPLE}.csv"
)


def test_sample_inference_on_a_real_ess_file(mirror):
    assert NEW_FEED not in load_registry().by_id, "pick a feed id that is not registered yet"
    inf = infer_sample(mirror / "ess" / SAMPLE / f"{SAMPLE}.csv")
    assert inf.rows == 756 and inf.has_intervals and inf.has_status
    assert inf.title == "Cigarette smokers"
    assert inf.period_format.startswith("ISO 8601 start date and duration") and inf.durations == ["5Y"]
    assert {"Country", "Nation", "Local Authority District"} <= set(inf.geographies)
    [ind] = inf.indicators
    assert (ind.name, ind.unit, ind.measure_type, ind.valid_range) == (
        "Cigarette smokers",
        "%",
        "share",
        (0, 100),
    )
    types = {c.name: c.type for c in inf.columns}
    assert types["observation"] == "float" and types["areacd"] == "str"


@pytest.mark.parametrize(
    ("unit", "measure", "name", "expected"),
    [
        ("%", "Percentage", "Employment rate", "share"),
        ("Rate per 100,000 population", None, "Apprenticeships", "rate"),
        ("Number of enterprises", "Number of enterprises", "Business births", "count"),
        ("Score out of 10", "Mean (where 0 is low)", "Happiness", "mean"),
        ("£", "Pounds", "Gross median weekly pay", "median"),
        ("£ million", "Pounds", "Exports", "count"),
        ("yrs", "Years", "Male healthy life expectancy", "expectancy"),
        ("Annual average daily flow", None, "Motor vehicle flow", "index"),
    ],
)
def test_measure_type_guesses(unit, measure, name, expected):
    assert guess_measure_type(unit, measure, name)[0] == expected


@pytest.mark.slow
def test_scaffold_feed_end_to_end_to_the_published_indicators_mart(sandbox, mirror):  # noqa: F811
    from core.settings import PROJECT_ROOT

    repo_registry = PROJECT_ROOT / "registry" / "feeds.yaml"
    before = hashlib.sha256(repo_registry.read_bytes()).hexdigest()
    sample = mirror / "ess" / SAMPLE / f"{SAMPLE}.csv"
    proc = run_in(
        sandbox,
        mirror,
        "-m",
        "orchestration.cli.main",
        "scaffold-feed",
        str(sample),
        "--id",
        NEW_FEED,
        "--url",
        SAMPLE_URL,
        "--mirror-path",
        f"ess/{SAMPLE}/{SAMPLE}.csv",
        "--run",
        "--json",
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    project = sandbox / "project"

    text = (project / "registry" / "feeds.yaml").read_text()
    assert text.startswith("# The feed registry")  # appended as text: comments kept
    stanza = text.split(f"- id: {NEW_FEED}", 1)[1]
    assert "# TODO confirm" in stanza and "measure_type: share" in stanza
    feed = yaml.safe_load(text)["feeds"][-1]
    assert feed["id"] == NEW_FEED and feed["family"] == "ess" and feed["url"] == SAMPLE_URL
    assert feed["source_org"] == "Office for National Statistics"  # from the JSON metadata beside the sample
    staging = project / "dbt_project" / "models" / "staging" / "ess" / "stg_ess__cigarette_smokers_sample.sql"
    assert staging.read_text() == "{{ stage_ess_feed(source('ess', 'cigarette_smokers_sample')) }}\n"
    assert "Cigarette smokers" in (project / "docs" / "feeds" / f"{NEW_FEED}.md").read_text()
    assert (
        "cigarette_smokers_sample"
        in (project / "dbt_project" / "models" / "staging" / "_sources.yml").read_text()
    )

    out = parse_json_line(proc.stdout)
    assert out["success"], out["failed_steps"]
    assert "stg_ess__cigarette_smokers_sample" in out["dbt"]["models"]
    assert out["marts"]["indicators"] == "fresh"
    con = duckdb.connect(out["release"] + "/marts.duckdb", read_only=True)
    try:
        rows, measure = con.execute(
            "select count(*), any_value(measure_type) from indicators where feed_id = ?", [NEW_FEED]
        ).fetchone()
        others = con.execute("select count(distinct feed_id) from indicators").fetchone()[0]
    finally:
        con.close()
    assert rows == 756 and measure == "share"
    assert others > 10  # the other feeds are still there
    assert hashlib.sha256(repo_registry.read_bytes()).hexdigest() == before  # the repository is untouched
    assert not (PROJECT_ROOT / "docs" / "feeds" / f"{NEW_FEED}.md").exists()
