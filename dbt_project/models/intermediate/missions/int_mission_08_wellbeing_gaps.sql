{#
  Mission 8 gaps: mean share of the worst-performing third of LAs minus mean share of the rest (percentage
  points; positive = the worst third is worse), per metric and APS year. Group values are unweighted means of
  the areas' published shares (each area counts once), so the gap is reproducible from the published mart and
  adds no disclosure risk. Grouping: int_mission_08_wellbeing_gap_groups. When nothing has been delivered, one
  row per gap metric with no period and no value (mission_gaps / mission_metrics show it not_available).
  Grain: one row per (gap metric_id, period).
#}
{{ mission_gap('int_mission_08_wellbeing_gap_groups',
    top={'group': 'rest', 'label': 'rest', 'agg': 'mean'},
    bottom={'group': 'worst_third', 'label': 'worst_third', 'agg': 'mean'},
    value='bottom_minus_top', grouping='third',
    method="'mean share of the worst-performing third of lower-tier LAs (k = ceil(n/3) = ' || p.n_bottom_group "
           ~ "|| ' of n = ' || p.n_areas || ' LAs with all four headline shares published; ranked by their worst "
           ~ "standardised headline metric, ties by area code) minus the mean of the other LAs; percentage points'",
    when_empty={'mission': 8,
                'metric_ids': ['m8_gap_low_life_satisfaction', 'm8_gap_low_worthwhile', 'm8_gap_low_happiness',
                               'm8_gap_high_anxiety'],
                'method': 'not published: no restricted delivery processed yet (requires record-level APS microdata)',
                'source_feeds': 'aps-personal-wellbeing-microdata'}) }}
