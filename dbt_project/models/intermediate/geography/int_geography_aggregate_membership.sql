-- Member 2025 LADs of the non-standard aggregate codes that occur in the sources: codes that are not a
-- standard area of the target vintage but can be expressed as a set of target LADs.
-- Grain: one row per (agg_code, member_lad_code). Rebuilds derived/ess_nonstandard_aggregates_membership.csv
-- (E11, E13, E61, E67, W42) and adds the pre-2024 North East CAs and the ITL 2021 units that do not exist in
-- ITL 2025. Rows for these codes stay at their source geography in indicators_harmonised; this table says
-- which target areas they cover.
with h as (
    select * from {{ ref('int_geography_lad_hierarchy') }}
),

-- W42 city/growth-deal regions <-> ONS National Assembly economic regions (W19): correspondence by name
w42 as (
    select * from (values
        ('W42000001', 'Cardiff Capital Region', 'W19000004'),
        ('W42000002', 'Growing Mid Wales', 'W19000002'),
        ('W42000003', 'North Wales Economic Ambition Board', 'W19000001'),
        ('W42000004', 'Swansea Bay City Region', 'W19000003')
    ) as t(agg_code, agg_name, naer_code)
),

-- Gwynedd is split North/Mid Wales: each UA goes to its majority economic region by ward count
naer as (
    select ua19_code, naer19_code, naer19_name
    from (
        select ua19_code, naer19_code, naer19_name,
               row_number() over (partition by ua19_code order by count(*) desc) as rn
        from {{ ref('stg_reference__ons_ua19_naer19_wales_lookup') }}
        group by ua19_code, naer19_code, naer19_name
    )
    where rn = 1
),

-- metropolitan counties (E11) = the metropolitan districts (E08) of the matching 2025 combined authority
met as (
    select * from (values
        ('E11000001', 'Greater Manchester (Met County)', 'E47000001'),
        ('E11000002', 'Merseyside (Met County)', 'E47000004'),
        ('E11000003', 'South Yorkshire (Met County)', 'E47000002'),
        ('E11000004', 'Tyne and Wear (Met County) [pre-2014 code]', 'E47000014'),
        ('E11000005', 'West Midlands (Met County)', 'E47000007'),
        ('E11000006', 'West Yorkshire (Met County)', 'E47000003'),
        ('E11000007', 'Tyne and Wear (Met County)', 'E47000014')
    ) as t(agg_code, agg_name, ca_code)
),

-- the pre-2024 North East combined authorities, post-November-2018 composition (drkane CAUTHCD is frozen there)
old_ne_ca as (
    select d.cauth_code_stale as agg_code, coalesce(d.lad_code_active, d.lad_code) as lad_code
    from {{ ref('stg_reference__drkane_la_all_codes') }} as d
    where d.is_current and d.cauth_code_stale in ('E47000010', 'E47000011')
),

itl21_only as (
    select u.itl_code, u.itl_name, u.itl_level, {{ unnest_list('u.lad_codes') }} as lad_code
    from {{ ref('int_geography_itl_units') }} as u
    where u.vintage = 2021
      and u.itl_code not in (select itl_code from {{ ref('int_geography_itl_units') }} where vintage = 2025)
),

rows as (
    select m.agg_code, m.agg_name, 'metropolitan county (E11)' as agg_kind, h.lad_code as member_lad_code,
           h.lad_name as member_lad_name,
           'metropolitan districts (E08) whose 2025 combined authority is ' || m.ca_code as rule
    from met as m
    inner join h on h.cauth_code = m.ca_code and h.lad_code like 'E08%'
    union all
    select
        case when h.itl2_25_code in ('TLI3', 'TLI4') then 'E13000001' else 'E13000002' end,
        case when h.itl2_25_code in ('TLI3', 'TLI4') then 'Inner London' else 'Outer London' end,
        'Inner/Outer London (E13)',
        h.lad_code, h.lad_name,
        case when h.itl2_25_code in ('TLI3', 'TLI4') then 'London boroughs in ITL2 TLI3/TLI4 (Inner London West/East)'
             else 'London boroughs in ITL2 TLI5/TLI6/TLI7' end
    from h where h.rgn_code = 'E12000007'
    union all
    select 'E61000001', 'Greater London Authority', 'Greater London Authority (E61)', lad_code, lad_name,
           'all London boroughs + City (region E12000007)'
    from h where rgn_code = 'E12000007'
    union all
    select 'E67000001', 'City of London, Hackney', 'OHID merged area (E67)', lad_code, lad_name,
           'OHID small-area merge (name)'
    from h where lad_code in ('E09000001', 'E09000012')
    union all
    select 'E67000002', 'Isles of Scilly, Cornwall', 'OHID merged area (E67)', lad_code, lad_name,
           'OHID small-area merge (name)'
    from h where lad_code in ('E06000052', 'E06000053')
    union all
    select w.agg_code, w.agg_name, 'Welsh city/growth-deal region (W42)', h.lad_code, h.lad_name,
           'UA assigned to majority ONS National Assembly Economic Region ' || n.naer19_code || ' (' || n.naer19_name
           || '); W42<->W19 correspondence is by name, verify'
    from naer as n
    inner join w42 as w on w.naer_code = n.naer19_code
    inner join h on h.lad_code = n.ua19_code
    union all
    select o.agg_code,
           case o.agg_code when 'E47000010' then 'North East (pre-2024 combined authority)'
                else 'North of Tyne (pre-2024 combined authority)' end,
           'pre-2024 combined authority (E47)', h.lad_code, h.lad_name,
           'drkane CAUTHCD (composition from November 2018 to May 2024; before November 2018 E47000010 had all 7)'
    from old_ne_ca as o
    inner join h on h.lad_code = o.lad_code
    union all
    select i.itl_code, i.itl_name, 'ITL' || i.itl_level || ' 2021 unit not in ITL 2025', h.lad_code, h.lad_name,
           'LADs touching the unit in the ONS LAD23-LAU121-ITL21 lookup (a LAD can be partly inside)'
    from itl21_only as i
    inner join h on h.lad_code = i.lad_code
)

select * from rows
