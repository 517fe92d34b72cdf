{#
  Provenance for analysts: every version of every feed in the raw zone, with where it came from and when.
  Grain: one row per (feed_id, source_sha256).
  Join a published value to its source:  indicators.feed_id = provenance.feed_id and
  indicators.source_sha256 = provenance.source_sha256 (indicators_harmonised has the same two columns).
  mission_metrics.source_feeds ('|'-separated feed ids) were built from the versions with is_current = true
  at build time (the release manifest's `feeds` lists the same sha256s).
  Every landed version is listed, not only the current ones, so carried-over marts (built from an older
  version) still resolve. Deliberately depends on no other mart: a held-back mart never holds this one back.
#}
with versions as (
    select * from {{ ref('stg_raw_meta__feed_versions') }}
),

feeds as (
    select * from {{ ref('registry_feeds') }}
)

select
    v.feed_id,
    v.sha256 as source_sha256,
    f.title as feed_title,
    coalesce(f.family, 'unregistered') as feed_family,
    f.publisher,
    f.licence,
    coalesce(f.url, v.url) as source_url,
    v.via as retrieved_via,
    v.first_retrieved_at as retrieved_at,
    v.last_confirmed_at,
    v.n_successful_attempts,
    v.etag as http_etag,
    v.last_modified as http_last_modified,
    v.raw_file,
    v.rows as raw_rows,
    v.bytes as source_bytes,
    v.is_current,
    case
        when f.family = 'ess' then
            'indicators: as published (source geography and code vintage, no harmonisation); '
            || 'indicators_harmonised: see its harmonisation_method column per row; '
            || 'mission_metrics: see its method column per row'
        when f.family = 'reference' then
            'reference lookup: used to harmonise geographies and derive mission metrics; not published as values'
        else 'see the marts that read this feed'
    end as harmonisation
from versions as v
left join feeds as f on f.feed_id = v.feed_id
