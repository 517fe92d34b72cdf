"""Issue 16: the data API answers every route on the current release of a real `levelup run` (the `published`
fixture, over the mirror), and its answers agree with the release's marts read directly with DuckDB.

In-process (httpx ASGI transport); the served-over-a-socket behaviour is in test_api_snapshot.py."""

from __future__ import annotations

import csv
import io
import json
import warnings

import duckdb
import pytest

from core.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api_helpers import variant_release

from serve.app import create_app

pytestmark = [pytest.mark.mirror, pytest.mark.slow, pytest.mark.xdist_group("api")]
EMP = "employment-rate"  # the API id of the ESS indicator "Employment rate"
HARTLEPOOL, SHEFFIELD = "E06000001", "E08000039"


def make_client(data, **overrides) -> TestClient:
    settings = Settings(data_dir=data, **overrides)
    return TestClient(create_app(settings, watch=False))


@pytest.fixture(scope="module")
def api(api_data):
    with make_client(api_data.data, api_tokens_file=api_data.tokens_file) as client:
        yield client


@pytest.fixture(scope="module")
def db(api_data):
    con = duckdb.connect(str(api_data.release / "marts.duckdb"), read_only=True)
    yield con
    con.close()


def get(api, url, status=200, **kw):
    r = api.get(url, **kw)
    assert r.status_code == status, f"{url}: {r.status_code} {r.text[:500]}"
    return r


def test_every_route_answers_on_the_current_release_and_names_it(api, api_data):
    rid = api_data.release.name
    urls = [
        f"/api/v1/data.json?indicator={EMP}&geo={HARTLEPOOL}",
        f"/api/v1/data.csv?indicator={EMP}&geo={HARTLEPOOL}",
        "/api/v1/metadata/indicators",
        f"/api/v1/metadata/indicators/{EMP}",
        "/api/v1/geo/levels",
        f"/api/v1/geo/lookup/{SHEFFIELD}",
        f"/api/v1/geo/related/{SHEFFIELD}",
        f"/api/v1/geo/related/{SHEFFIELD}/parents",
        "/api/v1/geo/related/E12000003/children",
        f"/api/v1/geo/related/{SHEFFIELD}/siblings",
        "/api/v1/geo/search/Sheffield",
        "/api/v1/missions",
        "/api/v1/missions/7",
        "/api/v1/missions/7/gaps",
        "/api/v1/releases",
        f"/api/v1/releases/{rid}",
        f"/api/v1/provenance?indicator={EMP}&geo={HARTLEPOOL}",
    ]
    for url in urls:
        r = get(api, url)
        assert r.headers["x-release-id"] == rid, url
        assert r.headers["etag"].startswith(f'"{rid}.'), url
        if url.startswith("/api/v1/data.csv"):
            first = next(csv.DictReader(io.StringIO(r.text)))
            assert first["release"] == rid
        else:
            assert r.json()["release"] == rid, url


def test_values_equal_the_mart(api, db):
    body = get(
        api, f"/api/v1/data.json?indicator={EMP}&geo={HARTLEPOOL},{SHEFFIELD}&time=all&includeStatus=true"
    ).json()
    want = db.execute(
        """select area_code, cast(period_start as varchar), value, lci_95, uci_95, status from indicators_harmonised
           where feed_id = 'employment-rate' and indicator = 'Employment rate' and area_code in (?, ?)
           order by area_code, period_start""",
        [HARTLEPOOL, SHEFFIELD],
    ).fetchall()
    got = [
        (d["areacd"], d["period_start"], d["value"], d["lci"], d["uci"], d["status"]) for d in body["data"]
    ]
    assert got == want and len(want) >= 30
    assert body["total"] == len(want)
    assert {d["indicator"] for d in body["data"]} == {EMP}


def test_time_latest_is_the_default_and_time_filters_follow_the_documented_semantics(api, db):
    periods = [
        r[0]
        for r in db.execute(
            """select distinct cast(period_start as varchar) from indicators_harmonised
               where indicator = 'Employment rate' and area_code = ? order by 1""",
            [HARTLEPOOL],
        ).fetchall()
    ]
    base = f"/api/v1/data.json?indicator={EMP}&geo={HARTLEPOOL}"

    def starts(q):
        return [d["period_start"] for d in get(api, base + q).json()["data"]]

    assert starts("") == [periods[-1]]
    assert starts("&time=latest") == [periods[-1]]
    assert starts("&time=earliest") == [periods[0]]
    assert starts("&time=2015") == ["2015-01-01"]
    assert starts("&time=2015-06-30") == ["2015-01-01"]  # the period containing that day
    assert starts("&time=2015,2017") == ["2015-01-01", "2016-01-01", "2017-01-01"]
    assert starts("&time=earliest,2005") == [p for p in periods if p < "2006"]
    assert starts("&time=1990") == []
    last_year = int(periods[-1][:4])
    assert starts(f"&time={last_year + 5}&timeNearest=latest") == [periods[-1]]
    assert starts(f"&time={last_year + 5}&timeNearest=earliest") == []
    assert starts("&time=1990&timeNearest=earliest") == [periods[0]]
    assert starts("&time=1990&timeNearest=any") == [periods[0]]
    assert starts(f"&time={last_year + 5}&timeNearest=any") == [periods[-1]]
    for bad in ("yesterday", "2015,2010", "latest,2015", "2015-13", "all,2015"):
        r = get(api, base + f"&time={bad}", 400)
        assert r.headers["content-type"] == "application/problem+json"
        assert "time=" in r.json()["detail"]


def test_geo_level_filters_the_target_geography(api, db):
    body = get(api, f"/api/v1/data.json?indicator={EMP}&geoLevel=ltla&time=2019&includeNames=true").json()
    want = db.execute(
        """select count(*) from indicators_harmonised where indicator = 'Employment rate' and area_level = 'LAD'
           and period_start = '2019-01-01'"""
    ).fetchone()[0]
    assert body["total"] == want > 300
    assert {d["geoLevel"] for d in body["data"]} == {"LAD"}
    assert all(d["areanm"] for d in body["data"])
    sheffield = [d for d in body["data"] if d["areacd"] == SHEFFIELD]
    assert len(sheffield) == 1 and sheffield[0]["areanm"] == "Sheffield"


def test_source_geography_mart_returns_rows_as_published(api, db):
    body = get(api, f"/api/v1/data.json?indicator={EMP}&geo=E08000019&time=all&mart=indicators").json()
    want = db.execute(
        """select count(*) from indicators where indicator = 'Employment rate' and area_code = 'E08000019'"""
    ).fetchone()[0]
    assert body["mart"] == "indicators" and body["total"] == want > 0
    assert all(d["is_derived"] is False for d in body["data"])
    # the old Sheffield code is recoded in the harmonised mart: it does not appear there under its own code
    harmonised = get(api, f"/api/v1/data.json?indicator={EMP}&geo=E08000019&time=all").json()
    assert harmonised["total"] == 0


def test_measures_names_and_status_are_opt_in(api):
    d = get(api, f"/api/v1/data.json?indicator={EMP}&geo={HARTLEPOOL}&measure=value").json()["data"][0]
    assert "value" in d and "lci" not in d and "uci" not in d and "areanm" not in d and "status" not in d
    d = get(
        api, f"/api/v1/data.json?indicator={EMP}&geo={HARTLEPOOL}&includeNames=1&includeStatus=true"
    ).json()
    assert d["data"][0]["areanm"] == "Hartlepool" and d["data"][0]["status"] == "ok"
    get(api, f"/api/v1/data.json?indicator={EMP}&measure=median", 400)


def test_csv_has_the_same_rows_as_json(api):
    q = f"?indicator={EMP},gross-median-weekly-pay&geo={HARTLEPOOL},{SHEFFIELD}&time=all&includeNames=true"
    rows = get(api, "/api/v1/data.json" + q).json()["data"]
    r = get(api, "/api/v1/data.csv" + q)
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert len(table) == len(rows) == int(r.headers["x-total-count"])
    for a, b in zip(table, rows, strict=True):
        assert (a["indicator"], a["areacd"], a["areanm"], a["period"]) == (
            b["indicator"],
            b["areacd"],
            b["areanm"],
            b["period"],
        )
        assert (float(a["value"]) if a["value"] else None) == b["value"]


def test_conditional_get_answers_304_until_the_release_changes(api):
    url = f"/api/v1/data.json?indicator={EMP}&geo={HARTLEPOOL}"
    first = get(api, url)
    etag = first.headers["etag"]
    again = api.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert api.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    other = get(api, url + "&time=all")
    assert other.headers["etag"] != etag


def test_pages_are_stable_pinned_to_the_release_and_add_up(api):
    url = f"/api/v1/data.json?indicator={EMP}&geoLevel=RGN&time=all"
    whole = get(api, url).json()
    seen, page = [], get(api, url + "&limit=37").json()
    while True:
        seen += page["data"]
        if page["next"] is None:
            break
        assert f"release={whole['release']}" in page["next"]
        page = get(api, page["next"].replace("http://testserver", "")).json()
    assert seen == whole["data"] and len(seen) == whole["total"] > 37
    keys = [(d["indicator"], d["areacd"], d["period_start"]) for d in seen]
    assert keys == sorted(keys)


def test_oversized_requests_are_refused_saying_what_to_narrow(api_data):
    with make_client(api_data.data, api_max_rows=100, api_max_codes=3) as small:
        r = get(small, f"/api/v1/data.json?indicator={EMP}&time=all", 413)
        body = r.json()
        assert r.headers["content-type"] == "application/problem+json"
        assert body["rows"] > 100 and body["limit"] == 100 and "narrow" in body["detail"]
        assert "time" in body["narrow"] and "geoLevel" in body["narrow"]
        get(small, f"/api/v1/data.csv?indicator={EMP}&time=all", 413)
        # paging through is allowed, up to the row limit per page
        assert get(small, f"/api/v1/data.json?indicator={EMP}&time=all&limit=100").json()["total"] > 100
        assert (
            "above the largest page"
            in get(small, f"/api/v1/data.json?indicator={EMP}&limit=101", 400).json()["detail"]
        )
        r = get(small, "/api/v1/data.json?geo=E06000001,E06000002,E06000003,E06000004", 400)
        assert r.json()["limit"] == 3 and "at most 3" in r.json()["detail"]


def test_unknown_indicators_and_codes_are_named(api):
    r = get(api, f"/api/v1/data.json?indicator={EMP},no-such-thing,also-not", 400)
    body = r.json()
    assert body["type"].endswith("/unknown-indicator") and body["unknown"] == ["no-such-thing", "also-not"]
    assert "no-such-thing" in body["detail"] and "also-not" in body["detail"]
    r = get(api, f"/api/v1/data.csv?geo={HARTLEPOOL},E99999999,x1", 400)
    assert (
        r.json()["unknown"] == ["E99999999", "X1"] and r.headers["content-type"] == "application/problem+json"
    )
    assert get(api, "/api/v1/data.json?geoLevel=county", 400).json()["unknown"] == ["county"]
    assert get(api, "/api/v1/data.json?limit=0", 400).json()["type"].endswith("/bad-request")
    assert get(api, "/api/v1/nowhere", 404).headers["content-type"] == "application/problem+json"
    assert api.post("/api/v1/data.json").status_code == 405


def test_indicator_metadata_matches_the_release_and_registry(api, db):
    body = get(api, "/api/v1/metadata/indicators").json()
    want = db.execute(
        "select count(*) from (select distinct feed_id, indicator from indicators_harmonised)"
    ).fetchone()[0]
    assert body["count"] == len(body["indicators"]) == want
    emp = next(i for i in body["indicators"] if i["id"] == EMP)
    first, last, n = db.execute(
        """select cast(min(period_start) as varchar), cast(max(period_start) as varchar), count(*)
           from indicators_harmonised where feed_id = ? and indicator = 'Employment rate'""",
        [EMP],  # employment-rate-ni publishes an 'Employment rate' too
    ).fetchone()
    # the label and subtitle are the publisher's (ess/employment-rate/employment-rate.json), via indicator_catalogue
    assert (emp["label"], emp["feed_id"], emp["unit"], emp["measure_type"]) == (
        "Employment rate (Great Britain)",
        EMP,
        "%",
        "share",
    )
    assert emp["subtitle"].startswith("Percentage of people aged 16 to 64 in em")
    assert (emp["first_period"], emp["last_period"], emp["row_count"]) == (first, last, n)
    assert (
        emp["missions"] == [1]
        and emp["metadata_source"] == "indicator_catalogue"
        and "LAD" in emp["geography_levels"]
    )
    assert emp["file_url"].endswith("/employment-rate.csv")  # the file this release read
    assert emp["source_url"] == (  # the publisher's page, from employment-rate.json's sourceURL
        "https://www.ons.gov.uk/employmentandlabourmarket/peopleinwork/employmentandemployeetypes/datasets/"
        "li01regionallabourmarketlocalindicatorsforcountieslocalandunitaryauthorities"
    )
    m7 = get(api, "/api/v1/metadata/indicators?mission=7").json()["indicators"]
    from core.registry import load_registry

    health = {  # the registry's mission map (MISSIONS.md): (feed, indicator) informing mission 7
        (f.id, i.name)
        for f in load_registry().open_feeds
        for i in f.indicators
        if 7 in (i.missions if i.missions is not None else f.missions)
    }
    assert {i["feed_id"] for i in m7} == {fid for fid, _ in health}
    assert len(m7) == len(health) >= 8
    assert {"female-healthy-life-expectancy", "male-healthy-life-expectancy"} <= {i["id"] for i in m7}
    assert get(api, "/api/v1/metadata/indicators/nope", 404).json()["unknown"] == ["nope"]


def test_geography_levels_lookup_and_relations(api, db):
    levels = {lv["geoLevel"]: lv for lv in get(api, "/api/v1/geo/levels").json()["levels"]}
    assert levels["LAD"]["areas"] == 361 and levels["LAD"]["key"] == "ltla"
    assert levels["RGN"]["areas"] == 9 and levels["CTRY"]["areas"] == 7
    hier = dict(
        zip(
            ["ctyua", "cauth", "region", "country", "itl1", "itl2", "itl3", "pfa"],
            db.execute(
                """select ctyua_code, cauth_or_gla_code, region_code, country_code, itl1_code, itl2_code, itl3_code,
                          pfa_code from geography where lad_code = ?""",
                [SHEFFIELD],
            ).fetchone(),
            strict=True,
        )
    )
    look = get(api, f"/api/v1/geo/lookup/{SHEFFIELD}").json()
    assert look["area"]["areanm"] == "Sheffield" and set(look["levels"]) == {"LAD", "CTYUA"}
    parents = {p["areacd"] for p in look["parents"]}
    assert {
        hier["cauth"],
        hier["region"],
        hier["country"],
        hier["itl1"],
        hier["itl2"],
        hier["itl3"],
        hier["pfa"],
    } <= parents
    assert "K02000001" in parents and SHEFFIELD not in parents
    # parents come coarsest first
    ranks = [p["geoLevel"] for p in look["parents"]]
    assert ranks[0] == "CTRY" and ranks.index("RGN") < ranks.index("CA")
    only = get(api, f"/api/v1/geo/related/{SHEFFIELD}/parents?geoLevel=RGN").json()["areas"]
    assert [p["areacd"] for p in only] == [hier["region"]]
    # children of Yorkshire and the Humber: its counties and unitaries, by default
    kids = get(api, f"/api/v1/geo/related/{hier['region']}/children").json()
    want = {
        r[0]
        for r in db.execute(
            "select distinct ctyua_code from geography where region_code = ?", [hier["region"]]
        ).fetchall()
    }
    assert kids["geoLevel"] == "CTYUA" and {a["areacd"] for a in kids["areas"]} == want
    lads = get(api, f"/api/v1/geo/related/{hier['region']}/children?geoLevel=LAD").json()["areas"]
    assert (
        len(lads)
        == db.execute("select count(*) from geography where region_code = ?", [hier["region"]]).fetchone()[0]
    )
    sib = get(api, f"/api/v1/geo/related/{SHEFFIELD}/siblings").json()
    want = {
        r[0]
        for r in db.execute(
            "select lad_code from geography where region_code = ?", [hier["region"]]
        ).fetchall()
    }
    assert sib["parentLevel"] == "RGN" and {a["areacd"] for a in sib["areas"]} == want - {SHEFFIELD}
    sib = get(api, f"/api/v1/geo/related/{SHEFFIELD}/siblings?parentLevel=CA").json()["areas"]
    want = {
        r[0]
        for r in db.execute("select lad_code from geography where cauth_code = ?", [hier["cauth"]]).fetchall()
    }
    assert {a["areacd"] for a in sib} == want - {SHEFFIELD} and len(sib) == 3
    nations = get(api, "/api/v1/geo/related/K02000001/children").json()["areas"]
    assert {a["areacd"] for a in nations} >= {"E92000001", "W92000004", "S92000003", "N92000002"}
    wales = get(api, "/api/v1/geo/related/W06000015/siblings").json()  # Cardiff: no regions in Wales
    assert wales["parentLevel"] == "CTRY" and len(wales["areas"]) == 21
    assert get(api, "/api/v1/geo/lookup/E99999999", 404).json()["unknown"] == ["E99999999"]
    old = get(api, "/api/v1/geo/lookup/E08000019").json()  # the pre-2025 Sheffield code: in the data only
    assert old["is_standard_area"] is False and old["parents"] == []
    assert get(api, "/api/v1/geo/related/E08000019/parents", 404).json()["detail"].startswith("E08000019")


def test_search_ranks_exact_then_prefix(api):
    found = get(api, "/api/v1/geo/search/Sheffield").json()["areas"]
    assert found[0]["areanm"] == "Sheffield" and found[0]["areacd"] in (SHEFFIELD, "TLE32")
    assert {a["areacd"] for a in found} >= {SHEFFIELD}
    york = get(api, "/api/v1/geo/search/york?geoLevel=LAD").json()["areas"]
    assert york[0]["areanm"] == "York" and all(a["geoLevel"] == "LAD" for a in york)
    assert any(a["areanm"] == "North Yorkshire" for a in york)
    assert get(api, "/api/v1/geo/search/zzzzqqq").json()["areas"] == []


def test_similar_areas_come_from_the_similar_areas_mart_when_it_exists(api, api_data, tmp_path):
    # the published release carries the similar-areas marts: the answer is the mart's rows, in rank order
    with duckdb.connect(str(api_data.release / "marts.duckdb"), read_only=True) as con:
        models = [m for (m,) in con.execute("select distinct model from similar_areas order by 1").fetchall()]
        expected = con.execute(
            "select neighbour_code from similar_areas where model = ? and area_code = ? order by rank limit 5",
            [models[0], SHEFFIELD],
        ).fetchall()
    body = get(api, f"/api/v1/geo/related/{SHEFFIELD}/similar?limit=5").json()
    assert body["models"] == models and body["model"] == models[0]
    assert [a["areacd"] for a in body["areas"]] == [c for (c,) in expected] and len(expected) == 5
    assert get(api, f"/api/v1/geo/related/{SHEFFIELD}").json()["similar"][0]["areacd"] == expected[0][0]

    # a release without them: 404 naming the mart, and `related` says null
    bare = tmp_path / "bare"
    variant_release(
        bare,
        api_data.release,
        "20990101T000000000Z",
        ["drop table similar_areas", "drop table area_clusters"],
    )
    (bare / "releases" / "current").symlink_to("20990101T000000000Z")
    with make_client(bare) as c:
        r = get(c, f"/api/v1/geo/related/{SHEFFIELD}/similar", 404)
        assert r.json()["type"].endswith("/mart-unavailable") and "similar_areas" in r.json()["detail"]
        assert get(c, f"/api/v1/geo/related/{SHEFFIELD}").json()["similar"] is None

    # another release's models: the default is the first, `model` picks one, an unknown model is a 400
    data = tmp_path / "data"
    variant_release(
        data,
        api_data.release,
        "20990101T000000000Z",
        [
            "drop table similar_areas",
            "drop table area_clusters",
            """create table similar_areas as select * from (values
               ('kmeans_8', 'E08000039', 2, 'E08000025', 'Birmingham', 1.5),
               ('kmeans_8', 'E08000039', 1, 'E08000035', 'Leeds', 0.7),
               ('kmeans_8', 'E08000035', 1, 'E08000039', 'Sheffield', 0.7),
               ('pca_knn', 'E08000039', 1, 'E06000018', 'Nottingham', 0.9))
               t(model, area_code, rank, neighbour_code, neighbour_name, distance)""",
            """create table area_clusters as select * from (values ('kmeans_8', 'E08000039', 'Sheffield', 3, 0.4))
               t(model, area_code, area_name, cluster, distance_to_centroid)""",
        ],
    )
    (data / "releases" / "current").symlink_to("20990101T000000000Z")
    with make_client(data) as c:
        body = get(c, f"/api/v1/geo/related/{SHEFFIELD}/similar").json()
        assert (
            body["model"] == "kmeans_8" and body["models"] == ["kmeans_8", "pca_knn"] and body["cluster"] == 3
        )
        assert [a["areacd"] for a in body["areas"]] == ["E08000035", "E08000025"]
        assert (
            get(c, f"/api/v1/geo/related/{SHEFFIELD}/similar?model=pca_knn").json()["areas"][0]["areanm"]
            == "Nottingham"
        )
        assert (
            get(c, f"/api/v1/geo/related/{SHEFFIELD}/similar?model=nope", 400).json()["parameter"] == "model"
        )
        assert get(c, f"/api/v1/geo/related/{SHEFFIELD}").json()["similar"][0]["areacd"] == "E08000035"
        get(c, f"/api/v1/geo/related/{HARTLEPOOL}/similar", 404)


def test_indicator_catalogue_rows_win_and_indicators_without_one_fall_back_to_the_registry(api_data, tmp_path):
    data = tmp_path / "data"
    variant_release(
        data,
        api_data.release,
        "20990101T000000001Z",
        [
            "drop table indicator_catalogue",  # a release of before the catalogue: one row of it only
            """create table indicator_catalogue as select * from (values
               ('employment-rate', 'Employment rate', 'Employment rate (16 to 64)', 'Share of people aged 16-64 in work',
                'APS is being reweighted', 'Office for National Statistics', 'https://example.org/emp', 1,
                ['LAD', 'RGN'], [1]))
               t(feed_id, indicator, label, subtitle, caveats, source_org, source_url, decimal_places,
                 geography_levels, missions)"""
        ],
    )
    (data / "releases" / "current").symlink_to("20990101T000000001Z")
    with make_client(data) as c:
        emp = get(c, f"/api/v1/metadata/indicators/{EMP}").json()["indicator"]
        assert emp["metadata_source"] == "indicator_catalogue"
        assert (emp["label"], emp["subtitle"], emp["caveats"], emp["decimal_places"]) == (
            "Employment rate (16 to 64)",
            "Share of people aged 16-64 in work",
            "APS is being reweighted",
            1,
        )
        assert emp["source_url"] == "https://example.org/emp"
        # measured facts stay the release's own (the catalogue row says ['LAD', 'RGN'])
        assert emp["geography_levels"] != ["LAD", "RGN"] and "CTRY" in emp["geography_levels"]
        others = [i for i in get(c, "/api/v1/metadata/indicators").json()["indicators"] if i["id"] != EMP]
        assert others and all(i["metadata_source"] == "registry" for i in others)


def test_missions_and_gaps(api, db):
    missions = get(api, "/api/v1/missions").json()["missions"]
    assert [m["mission"] for m in missions] == list(range(1, 13))
    body = get(api, "/api/v1/missions/7?metric=m7_hle_male&geoLevel=nation").json()
    want = db.execute(
        """select area_code, cast(period_start as varchar), value from mission_metrics
           where metric_id = 'm7_hle_male' and geography_level = 'nation' order by area_code, period_start"""
    ).fetchall()
    assert [(d["areacd"], d["period_start"], d["value"]) for d in body["data"]] == want and want
    metrics = {m["metric_id"]: m for m in body["metrics"]}
    assert {"m7_hle_male", "m7_hle_female", "m7_hle_gap_male"} <= set(metrics)
    assert metrics["m7_hle_male"]["available"] is True and metrics["m7_hle_male"]["unit"] == "years"
    latest = get(api, "/api/v1/missions/7?metric=m7_hle_male&geo=E92000001&time=latest").json()["data"]
    assert len(latest) == 1 and latest[0]["period_start"] == max(p for _, p, _ in want)
    gaps = get(api, "/api/v1/missions/7/gaps?metric=m7_hle_gap_male&includeGroups=true").json()
    want = db.execute(
        "select cast(period_start as varchar), value from mission_gaps where metric_id = 'm7_hle_gap_male' order by 1"
    ).fetchall()
    assert [(d["period_start"], d["value"]) for d in gaps["data"]] == want and gaps["total"] == len(want)
    assert gaps["groups"] and {g["metric_id"] for g in gaps["groups"]} == {"m7_hle_gap_male"}
    assert get(api, "/api/v1/missions/13", 404).json()["detail"].startswith("there is no mission 13")
    assert get(api, "/api/v1/missions/7?metric=m1_gva_per_hour", 400).json()["unknown"] == ["m1_gva_per_hour"]


def test_provenance_points_at_the_source_file_and_line(api, api_data, mirror):
    body = get(api, f"/api/v1/provenance?indicator={EMP}&geo={HARTLEPOOL}&time=2015").json()
    (row,) = body["data"]
    manifest = json.loads((api_data.release / "manifest.json").read_text())
    assert row["source_sha256"] == manifest["feeds"]["employment-rate"]["sha256"]
    (src,) = body["sources"]
    assert src["source_url"] == manifest["feeds"]["employment-rate"]["url"] and src["licence"] == "OGL-3.0"
    lines = (
        (mirror / "ess" / "employment-rate" / "employment-rate.csv").read_text(encoding="utf-8").splitlines()
    )
    line = lines[row["source_line"] - 1]
    assert HARTLEPOOL in line and "2015-01-01" in line and str(row["value"]) in line


def test_releases_list_and_retained_releases_are_served(api, api_data, tmp_path):
    listing = get(api, "/api/v1/releases").json()
    assert listing["release"] == api_data.release.name
    assert [r["id"] for r in listing["releases"] if r["is_current"]] == [api_data.release.name]
    for bad in (
        "nope",
        "..",
        "../restricted/releases/current",
        "current",
        ".building-x",
        api_data.cleared_release.name,
    ):
        r = get(api, "/api/v1/data.json", 404, params={"release": bad, "indicator": EMP})
        assert r.json()["type"].endswith("/release-not-found") and api_data.release.name in r.json()["detail"]
    # an older retained release is served with ?release=, the current one without
    data = tmp_path / "data"
    old, new = "20990101T000000002Z", "20990101T000000003Z"
    variant_release(data, api_data.release, old, ["update indicators_harmonised set value = value + 1000"])
    variant_release(data, api_data.release, new)
    (data / "releases" / "current").symlink_to(new)
    url = f"/api/v1/data.json?indicator={EMP}&geo={HARTLEPOOL}&time=2015"
    with make_client(data) as c:
        cur, prev = get(c, url).json(), get(c, url + f"&release={old}").json()
        assert (cur["release"], prev["release"]) == (new, old)
        assert prev["data"][0]["value"] == pytest.approx(cur["data"][0]["value"] + 1000)
        assert get(c, url + f"&release={old}").headers["etag"] != get(c, url).headers["etag"]
        assert [r["id"] for r in get(c, "/api/v1/releases").json()["releases"]] == [new, old]


def test_openapi_and_docs_are_served_without_a_cdn(api):
    spec = get(api, "/openapi.json").json()
    paths = set(spec["paths"])
    for p in (
        "/api/v1/data.json",
        "/api/v1/data.csv",
        "/api/v1/metadata/indicators",
        "/api/v1/geo/levels",
        "/api/v1/geo/lookup/{code}",
        "/api/v1/geo/related/{code}/parents",
        "/api/v1/geo/related/{code}/children",
        "/api/v1/geo/related/{code}/siblings",
        "/api/v1/geo/related/{code}/similar",
        "/api/v1/geo/search/{name}",
        "/api/v1/missions/{n}",
        "/api/v1/missions/{n}/gaps",
        "/api/v1/releases",
        "/api/v1/provenance",
        "/api/v1/cleared/data/{table}.json",
    ):
        assert p in paths, p
    for page in ("/docs", "/redoc"):
        html = get(api, page).text
        assert "cdn" not in html.lower() and "https://" not in html and "//fonts." not in html
        for ref in (s.split('"')[0] for s in html.split('src="')[1:] + html.split('href="')[1:]):
            assert ref.startswith("/"), f"{page} loads {ref}"
            get(api, ref)


def test_the_in_memory_index_and_sql_give_the_same_answers(api, monkeypatch):
    """Requests naming their indicators are answered from an in-memory index of the release; every other
    request by SQL. 150 random requests, both ways: the same rows in the same order."""
    import random

    import serve.query

    rng = random.Random(16)
    ids = [i["id"] for i in get(api, "/api/v1/metadata/indicators").json()["indicators"]]
    codes = [
        a["areacd"] for a in get(api, "/api/v1/geo/related/K02000001/children?geoLevel=LAD").json()["areas"]
    ]
    codes += ["E12000003", "E92000001", "K02000001", "TLC3", "E47000002", "E08000019", "S12000049"]
    times = [
        "latest",
        "earliest",
        "all",
        "2015",
        "2019-04",
        "2016-06-30",
        "2012,2016",
        "earliest,2010",
        "2030",
        "1999",
    ]
    answered = 0
    for n in range(150):
        params = {
            "indicator": ",".join(rng.sample(ids, rng.choice([1, 1, 2, 3]))),
            "geo": ",".join(rng.sample(codes, rng.choice([1, 1, 2, 5]))),
            "time": rng.choice(times),
            "timeNearest": rng.choice(["none", "none", "latest", "earliest", "any"]),
            "includeStatus": "true",
        }
        if n % 5 == 0:
            params["geoLevel"] = rng.choice(["LAD", "CTYUA", "RGN"])
        if n % 7 == 0:
            params |= {"limit": 3, "offset": rng.choice([0, 2])}
        if n % 10 == 3:  # no area: the whole indicator at a level
            params.pop("geo")
            params["geoLevel"] = rng.choice(["LAD", "ITL3", "PFA,CA"])
        fast = get(api, "/api/v1/data.json", params=params).json()
        monkeypatch.setattr(serve.query, "FAST_PATH", False)
        slow = get(api, "/api/v1/data.json", params=params | {"_": "sql"}).json()
        monkeypatch.setattr(serve.query, "FAST_PATH", True)
        assert (fast["total"], fast["data"]) == (slow["total"], slow["data"]), params
        answered += fast["total"] > 0
    assert answered > 60, answered
