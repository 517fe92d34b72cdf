{#
  Every landed version of every feed in the raw zone, with how the ingest log saw it.
  Grain: one row per (feed_id, sha256).
  is_current: the version the warehouse reads now (stg_raw_meta__current_versions: the version current.json names).
  first_retrieved_at: the retrieval that landed the version (sidecar); last_confirmed_at: the latest attempt that
  found the same file (landed or unchanged), i.e. when the source was last seen serving it.
  raw_file is published as a file name only (the data directory differs between machines).
#}
with versions as (
    select
        feed_id,
        sha256,
        rows,
        bytes,
        url,
        via,
        cast(retrieved_at as {{ type_timestamptz() }}) as first_retrieved_at,
        etag,
        last_modified,
        parse_filename(raw_file) as raw_file
    from {{ source('raw_meta', 'feed_versions') }}
),

log as (
    select
        feed_id,
        sha256,
        status,
        cast(coalesce(retrieved_at, finished_at, started_at) as {{ type_timestamptz() }}) as attempted_at
    from {{ source('raw_meta', 'ingest_log') }}
    where status in ('landed', 'unchanged') and sha256 is not null
),

latest as (
    select feed_id, source_sha256 as current_sha256 from {{ ref('stg_raw_meta__current_versions') }}
),

seen as (
    select feed_id, sha256, max(attempted_at) as last_confirmed_at, count(*) as n_successful_attempts
    from log
    group by feed_id, sha256
)

select
    v.feed_id,
    v.sha256,
    v.rows,
    v.bytes,
    v.url,
    v.via,
    v.first_retrieved_at,
    coalesce(s.last_confirmed_at, v.first_retrieved_at) as last_confirmed_at,
    coalesce(s.n_successful_attempts, 0) as n_successful_attempts,
    v.etag,
    v.last_modified,
    v.raw_file,
    coalesce(l.current_sha256 = v.sha256, false) as is_current
from versions as v
left join seen as s on s.feed_id = v.feed_id and s.sha256 = v.sha256
left join latest as l on l.feed_id = v.feed_id
