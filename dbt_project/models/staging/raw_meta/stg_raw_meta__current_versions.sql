{{ config(materialized="view") }}  {# always live: read the pointers as they are at query time #}
-- The version of each feed the warehouse reads now: one row per feed (see _raw_meta_sources.yml).
select
    feed_id,
    sha256 as source_sha256,
    rows,
    cast(retrieved_at as {{ type_timestamptz() }}) as retrieved_at
from {{ source('raw_meta', 'current_versions') }}
