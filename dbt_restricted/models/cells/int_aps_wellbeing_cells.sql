-- Weighted shares per (area, year, metric, breakdown) from respondent rows. PRIVATE (group restricted):
-- pre-disclosure-control. CI: Wilson score interval, z = 1.96, on the Kish effective sample size
-- n_eff = (sum w)^2 / sum w^2 (allows for unequal weights; no design-effect for clustering).
with r as (
    select * from {{ ref('stg_aps__respondents') }}
),

long as (
    {% set metrics = {'m8_low_life_satisfaction': 'is_low_life_satisfaction', 'm8_low_worthwhile': 'is_low_worthwhile',
                      'm8_low_happiness': 'is_low_happiness', 'm8_high_anxiety': 'is_high_anxiety'} %}
    {% for metric_id, flag in metrics.items() %}
    select survey_year, period_start, period_end, lad_code, nation_code, sex, age_band, person_weight,
           '{{ metric_id }}' as metric_id, {{ flag }} as flag
    from r where {{ flag }} is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

areas as (
    select *, 'lad' as area_level, lad_code as area_code, nation_code as parent_code from long
    union all
    select *, 'nation' as area_level, nation_code as area_code, 'K02000001' as parent_code from long
    union all
    select *, 'uk' as area_level, 'K02000001' as area_code, cast(null as varchar) as parent_code from long
),

cells as (
    {% for breakdown, expr in [('all', "'all'"), ('sex', 'sex'), ('age_band', 'age_band')] %}
    select
        area_level, area_code, parent_code, survey_year, period_start, period_end, metric_id,
        '{{ breakdown }}' as breakdown,
        {{ expr }} as breakdown_value,
        count(*) as unweighted_count,
        count(*) filter (where flag) as unweighted_numerator,
        sum(person_weight) as weighted_base,
        coalesce(sum(person_weight) filter (where flag), 0) as weighted_numerator,
        sum(person_weight * person_weight) as sum_weight_sq
    from areas
    group by all
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

est as (
    select
        *,
        weighted_numerator / weighted_base as p,
        weighted_base * weighted_base / sum_weight_sq as n_eff
    from cells
)

select
    area_level, area_code, parent_code, survey_year, period_start, period_end, metric_id, breakdown,
    breakdown_value, unweighted_count, unweighted_numerator, weighted_base, weighted_numerator,
    round(n_eff, 1) as effective_sample_size,
    100 * p as share_pct,
    100 * greatest(0, ((p + 1.96 ^ 2 / (2 * n_eff)) - 1.96 * sqrt(p * (1 - p) / n_eff + 1.96 ^ 2 / (4 * n_eff * n_eff)))
        / (1 + 1.96 ^ 2 / n_eff)) as lci_95,
    100 * least(1, ((p + 1.96 ^ 2 / (2 * n_eff)) + 1.96 * sqrt(p * (1 - p) / n_eff + 1.96 ^ 2 / (4 * n_eff * n_eff)))
        / (1 + 1.96 ^ 2 / n_eff)) as uci_95
from est
