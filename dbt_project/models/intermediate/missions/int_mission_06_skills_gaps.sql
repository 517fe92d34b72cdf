-- Mission 6: population-weighted FE achievement rate of the lowest-skilled third of English upper-tier LAs
-- and of the rest; gap = third minus rest. Grain: one row per (gap metric_id, FE period).
{{ mission_gap('int_mission_06_skills_gap_groups',
    top={'group': 'rest', 'label': 'rest', 'agg': 'population_weighted'},
    bottom={'group': 'lowest_skilled_third', 'label': 'lowest_skilled_third', 'agg': 'population_weighted'},
    value='bottom_minus_top', grouping='third',
    method="'population-weighted FE rate of the lowest-skilled third (k = ceil(n/3) English upper-tier LAs with the "
           ~ "lowest level 3+ share, ties by area code) minus that of the other LAs; weights = mid-year total population'") }}
