{{ config(meta={"dagster": {"ref": {"name": "cluster_model_fit"}}}) }}
-- Every configured model is reported; every fitted model has exactly one chosen k, within its k range, tried
-- once, and its published clusters are numbered 1..chosen_k.
with fit as (
    select * from {{ ref('cluster_model_fit') }}
),

per_model as (
    select
        model,
        count(*) filter (where is_chosen) as n_chosen,
        count(distinct chosen_k) as n_chosen_k,
        any_value(chosen_k) as chosen_k,
        any_value(k_min) as k_min,
        any_value(k_max) as k_max,
        count(*) - count(distinct k) as repeated_k
    from fit
    where status = 'fitted'
    group by model
),

clusters as (
    select model, min(cluster) as lo, max(cluster) as hi, count(distinct cluster) as n
    from {{ ref('area_clusters') }}
    group by model
)

select p.model, 'not exactly one chosen k' as problem from per_model as p where p.n_chosen <> 1 or p.n_chosen_k <> 1
union all
select p.model, 'chosen k outside k_range' from per_model as p where p.chosen_k not between p.k_min and p.k_max
union all
select p.model, 'a k was tried twice' from per_model as p where p.repeated_k > 0
union all
select p.model, 'clusters are not numbered 1..chosen_k'
from per_model as p left join clusters as c using (model)
where c.model is null or c.lo <> 1 or c.hi <> p.chosen_k or c.n <> p.chosen_k
union all
select distinct i.model, 'configured model missing from cluster_model_fit'
from {{ ref('cluster_model_indicators') }} as i
where i.model not in (select model from fit)
