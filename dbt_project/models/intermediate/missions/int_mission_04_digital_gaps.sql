-- Mission 4 gaps: top area minus the median of the others. Grain: one row per (gap metric_id, period).
{{ mission_gap('int_mission_04_digital_gap_groups',
    top={'group': 'top', 'label': 'top', 'agg': 'max'},
    bottom={'group': 'others', 'label': 'others (median)', 'agg': 'median'},
    value='top_minus_bottom', grouping='top_minus_median_of_others', top_area='ranked',
    method="'top area minus the median of the other ' || (p.n_areas - 1) || ' areas; ranked set: lower-tier LAs in "
           ~ "England, LAs in Wales, council areas in Scotland, LGDs in Northern Ireland (2025 codes); one top area "
           ~ "(ties broken by area code, ' || t.n_tied_top || ' area(s) share the top value)'") }}
