-- Mission 1 gaps: top ITL1 area minus the median of the other 11. Grain: one row per (gap metric_id, period).
{{ mission_gap('int_mission_01_living_standards_gap_groups',
    top={'group': 'top', 'label': 'top', 'agg': 'max'},
    bottom={'group': 'others', 'label': 'others (median)', 'agg': 'median'},
    value='top_minus_bottom', grouping='top_minus_median_of_others', top_area='ranked',
    method="'top area minus the median of the other ' || (p.n_areas - 1) || ' areas; ranked set: the 12 ITL1 areas "
           ~ "(9 English regions, Wales, Scotland, Northern Ireland); one top area (ties broken by area code, ' "
           ~ "|| t.n_tied_top || ' area(s) share the top value)'") }}
