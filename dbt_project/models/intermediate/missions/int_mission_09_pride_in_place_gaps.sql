-- Mission 9 gaps: top LA minus the median of the others. Grain: one row per (gap metric_id, period).
{{ mission_gap('int_mission_09_pride_in_place_gap_groups',
    top={'group': 'top', 'label': 'top', 'agg': 'max'},
    bottom={'group': 'others', 'label': 'others (median)', 'agg': 'median'},
    value='top_minus_bottom', grouping='top_minus_median_of_others', top_area='ranked',
    method="'top area minus the median of the other ' || (p.n_areas - 1) || ' areas; ranked set: English lower-tier "
           ~ "LAs (non-metropolitan districts, metropolitan districts, London boroughs, unitaries); one top area "
           ~ "(ties broken by area code, ' || t.n_tied_top || ' area(s) share the top value)'") }}
