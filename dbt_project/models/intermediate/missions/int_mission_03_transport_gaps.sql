-- Mission 3 proxy gap: median travel time of the 8 English regions other than London minus London's.
-- Positive = slower than London. Grain: one row per (gap metric_id, period).
{{ mission_gap('int_mission_03_transport_gap_groups',
    top={'group': 'london', 'label': 'london', 'agg': 'max'},
    bottom={'group': 'other_regions', 'label': 'other regions (median)', 'agg': 'median'},
    value='bottom_minus_top', grouping='reference_vs_median_of_others',
    top_area={'code': 'E12000007', 'name': 'London'}, require_one_top=true,
    method="'median of the other ' || p.n_bottom_group || ' English regions minus London (region E12000007); proxy'") }}
