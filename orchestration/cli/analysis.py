"""`levelup similar-areas` and `levelup evaluate`: the analysis methods from the command line.

Belongs here: the two commands' options, finding the release they read (the current one, or `--release ID`),
printing progress and a summary. The methods are in `analysis/` (similar_areas, synthetic_control, evaluation).
"""

from __future__ import annotations

from pathlib import Path

import typer

from core.releases import current_dir, list_release_dirs
from core.settings import get_settings

app = typer.Typer(add_completion=False)


def _release(release_id: str | None, required: bool) -> Path | None:
    settings = get_settings()
    if release_id:
        found = [r for r in list_release_dirs(settings.releases_dir) if r.name == release_id]
        if not found:
            names = [r.name for r in list_release_dirs(settings.releases_dir)]
            raise typer.BadParameter(
                f"release {release_id!r} not found in {settings.releases_dir}; retained: {names}"
            )
        return found[0]
    cur = current_dir(settings.releases_dir)
    if cur is None and required:
        raise typer.BadParameter(
            f"no release in {settings.releases_dir}: run `levelup run` first, or set LEVELUP_DATA_DIR"
        )
    return cur


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").replace(";", ",").split(",") if c.strip()]


@app.command("similar-areas")
def similar_areas(
    source: Path = typer.Option(
        ..., "--from", help="long table: AREACD, AREANM, Indicator, Period, Value (CSV or Parquet)"
    ),
    indicators: str = typer.Option(
        ..., "--indicators", help='indicator labels, comma-separated: "NAME,NAME,..."'
    ),
    out: Path = typer.Option(..., "--out", help="folder for the four tables (Parquet), created if needed"),
    k: int = typer.Option(
        None, "--k", help="number of clusters (default: chosen by silhouette over the model's k range)"
    ),
    model: str = typer.Option(
        "global", "--model", help="configured model whose settings to use (k range, seed, ...)"
    ),
    name: str = typer.Option("external", "--name", help="the `model` value written in the tables"),
    include_counties: bool = typer.Option(
        False,
        "--include-counties",
        help="also list the table's counties (E10) as neighbours (default: lower tier only)",
    ),
    fill_from_county: bool = typer.Option(
        True, "--fill-from-county/--no-fill-from-county", help="a district without a value takes its county's"
    ),
    release: str = typer.Option(None, "--release", help="release whose geography gives county membership"),
) -> None:
    """Run the similar-areas method (ONS 2025) on an external long-format table; write the marts' four tables."""
    from analysis import similar_areas as sa
    from analysis.config import external_spec, load_models
    from analysis.external import read_long_table, resolve_indicators

    settings = get_settings()
    configured = load_models(settings.analysis_models)
    if model not in configured:
        raise typer.BadParameter(f"model {model!r} is not configured; models: {sorted(configured)}")
    typer.echo(f"[similar-areas] reading {source}")
    obs = read_long_table(source)
    names = resolve_indicators(indicators, obs["indicator"].dropna().unique().tolist())
    obs = obs[obs["indicator"].isin(names)]
    spec = external_spec(
        names,
        base=configured[model],
        name=name,
        k=k,
        include_counties=include_counties,
        fill_from_county=fill_from_county,
    )
    hierarchy = sa.Hierarchy()
    rel = _release(release, required=False)
    if rel is not None and (rel / "parquet" / "geography.parquet").exists():
        import pandas as pd

        hierarchy = sa.Hierarchy.from_geography(pd.read_parquet(rel / "parquet" / "geography.parquet"))
        typer.echo(f"[similar-areas] county membership from release {rel.name}")
    elif include_counties or fill_from_county:
        typer.echo(
            "[similar-areas] no release with a geography mart: counties are not filled into districts and "
            "nesting is not known (set LEVELUP_DATA_DIR or --release)",
            err=True,
        )
    codes = obs["area_code"].dropna().unique().tolist()
    cluster, counties = sa.lower_tier(codes), sa.counties(codes) if include_counties else []
    typer.echo(
        f"[similar-areas] {len(names)} indicator(s), {len(cluster)} lower-tier area(s)"
        + (f", {len(counties)} count(y/ies)" if include_counties else "")
        + f"; k {spec.k_min}-{spec.k_max}, n_init {spec.n_init}, seed {spec.seed}"
    )
    try:
        tables = sa.run(
            obs,
            {spec.name: spec},
            cluster_areas=cluster,
            county_areas=counties,
            hierarchy=hierarchy,
            names=dict(zip(obs["area_code"], obs["area_name"], strict=True)),
        )
    except sa.SimilarAreasError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    out.mkdir(parents=True, exist_ok=True)
    for table, df in tables.items():
        df.to_parquet(out / f"{table}.parquet", index=False)
    fit = tables["cluster_model_fit"]
    for r in fit.itertuples():
        if r.status == "fitted":
            typer.echo(f"  k={r.k}  silhouette={r.silhouette:.4f}{'  <- chosen' if r.is_chosen else ''}")
        else:
            typer.echo(f"  not fitted: {r.reason}", err=True)
    sizes = tables["area_clusters"].groupby("cluster").size()
    if len(sizes):
        typer.echo("  cluster sizes: " + ", ".join(f"{c}: {n}" for c, n in sizes.items()))
    row = fit.iloc[0]
    if row.n_areas_excluded:
        typer.echo(f"  left out (too few values): {row.areas_excluded}")
    skipped = tables["cluster_model_indicators"].query("status != 'used'")
    for r in skipped.itertuples():
        typer.echo(f"  skipped {r.indicator}: {r.reason}")
    typer.echo(f"[similar-areas] wrote {', '.join(f'{t}.parquet' for t in tables)} to {out}")
    if (fit["status"] != "fitted").all():
        raise typer.Exit(1)


@app.command("evaluate")
def evaluate(
    treated: str = typer.Option(
        ..., "--treated", help="area code (2025 LAD or E10 county) or custom area name"
    ),
    indicator: str = typer.Option(
        ..., "--indicator", help="'feed-id', 'feed-id:Indicator label' or a label unique across feeds"
    ),
    treatment_from: str = typer.Option(
        ..., "--from", help="first treated period: 2019, 2019-04 or 2019-04-01"
    ),
    out: Path = typer.Option(
        None, "--out", help="result folder (default: evaluation_<treated>_<feed>_<from>)"
    ),
    model: str = typer.Option("global", "--model", help="similar-areas model giving the donor pool"),
    exclude: str = typer.Option(
        None, "--exclude", help="areas treated too, never donors (comma-separated codes)"
    ),
    donors: str = typer.Option(None, "--donors", help="donor codes to use instead of the similar areas"),
    n_donors: int = typer.Option(20, "--n-donors", help="at most this many donors from the similar areas"),
    scale: str = typer.Option(
        None, "--scale", help="level | index (default: level for an area, index for a custom area)"
    ),
    release: str = typer.Option(None, "--release", help="a retained release id (default: the current one)"),
) -> None:
    """Synthetic control for a treated area: counterfactual, gap, pre-period RMSPE and in-space placebos."""
    from analysis import evaluation

    if scale not in (None, "level", "index"):
        raise typer.BadParameter("--scale must be level or index")
    rel = _release(release, required=True)
    typer.echo(f"[evaluate] release {rel.name}: {treated}, {indicator}, treated from {treatment_from}")
    try:
        s = evaluation.setup(
            rel,
            treated=treated,
            indicator=indicator,
            treatment_from=treatment_from,
            model=model,
            exclude=_codes(exclude),
            donors=_codes(donors) or None,
            n_donors=n_donors,
            scale=scale,
        )
        typer.echo(
            f"[evaluate] {s.feed_id}:{s.indicator}; {len(s.donors)} donor(s); fitting and {len(s.donors)} placebos"
        )
        result = evaluation.run(s)
    except evaluation.EvaluationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    slug = "".join(ch if ch.isalnum() else "-" for ch in f"{treated}_{s.feed_id}_{s.treatment_start}").strip(
        "-"
    )
    out = out or Path(f"evaluation_{slug}")
    evaluation.write_folder(out, s, result)
    t = result.treated
    top = ", ".join(
        f"{s.donor_names.get(d, d)} {w:.2f}"
        for d, w in t.weights.sort_values(ascending=False).items()
        if w >= 0.01
    )
    typer.echo(f"  weights: {top}")
    typer.echo(f"  pre-period RMSPE {t.pre_rmspe:.4g}; post/pre ratio {t.ratio:.3g}")
    typer.echo(f"  effect (mean post-period gap): {t.effect:.4g} {s.unit or ''}")
    typer.echo(f"  placebo rank {result.rank} of {len(result.units)}: p = {result.p_value:.3f}")
    if result.dropped_donors:
        typer.echo(f"  donors dropped (incomplete series): {', '.join(result.dropped_donors)}")
    typer.echo(f"[evaluate] wrote {out / 'index.html'}")
