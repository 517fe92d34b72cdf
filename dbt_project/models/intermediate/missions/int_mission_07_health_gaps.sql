-- Mission 7 HLE gap: median HLE of the top decile of areas minus the median of the bottom decile, per sex
-- and period. Grain: one row per (gap metric_id, period).
{{ mission_gap('int_mission_07_health_gap_groups',
    top={'group': 'top_decile', 'label': 'top_decile', 'agg': 'median'},
    bottom={'group': 'bottom_decile', 'label': 'bottom_decile', 'agg': 'median'},
    value='top_minus_bottom', grouping='decile',
    method="'median HLE of the top decile minus median of the bottom decile; ranked set: upper-tier LAs (England), "
           ~ "LAs (Wales), council areas (Scotland), LGDs (NI) with a value; k = floor(n/10) = ' || p.n_top_group "
           ~ "|| ' of n = ' || p.n_areas || ' in each tail; ties broken by area code'") }}
