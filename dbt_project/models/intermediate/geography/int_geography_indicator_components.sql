-- Rate and share indicators whose numerator and denominator are registered (registry/feeds.yaml: `numerator`,
-- `denominator` = indicator names in the same feed). Across a merge or a roll-up such an indicator is recomputed
-- as scale * sum(numerator) / sum(denominator) instead of being population-weighted.
-- Grain: one row per (feed_id, indicator). scale comes from the unit ('%' = 100, 'Rate per 1,000 ...' = 1000);
-- NULL when the unit does not say, and then the indicator falls back to population weighting.
with registry as (
    -- the seed types an all-empty column as integer: cast the component names to text
    select feed_id, indicator, measure_type, unit,
           nullif(trim(cast(numerator as {{ type_text() }})), '') as numerator,
           nullif(trim(cast(denominator as {{ type_text() }})), '') as denominator
    from {{ ref('registry_indicators') }}
)

select
    feed_id,
    indicator,
    numerator,
    denominator,
    unit,
    case
        when trim(unit) = '%' or lower(unit) like 'percent%' then 100.0
        when {{ regex_contains('lower(unit)', '^rate per [0-9,]+') }}
            then cast(replace(regexp_extract(lower(unit), '^rate per ([0-9,]+)', 1), ',', '') as double)
    end as scale
from registry
where measure_type in ('rate', 'share') and numerator is not null and denominator is not null
