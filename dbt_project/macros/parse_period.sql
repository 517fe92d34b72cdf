{#
  ESS periods are ISO 8601: an interval `start/duration` (`2017-01-01/P3Y` = 2017-2019, `2019-08-01/P1Y` = an
  academic year), a single date (a point in time, e.g. coverage on 2026-01-01), or a bare year (`1998`).
  Returns the select-list fragment: period_start, period_end (inclusive), period_duration, period_kind.
#}
{% macro parse_period(col) -%}
    {%- set start_txt = "split_part(" ~ col ~ ", '/', 1)" -%}
    {%- set dur = "nullif(split_part(" ~ col ~ ", '/', 2), '')" -%}
    {%- set n = "cast(regexp_extract(" ~ dur ~ ", '^P(\\d+)[YMWD]$', 1) as integer)" -%}
    {%- set u = "regexp_extract(" ~ dur ~ ", '^P\\d+([YMWD])$', 1)" -%}
    case when {{ regex_full_match(col, '\d{4}') }} then make_date(cast({{ col }} as integer), 1, 1)
         else cast({{ start_txt }} as date) end as period_start,
    case
        when {{ regex_full_match(col, '\d{4}') }} then make_date(cast({{ col }} as integer), 12, 31)
        when {{ dur }} is null then cast({{ start_txt }} as date)
        else cast({{ add_days(add_duration('cast(' ~ start_txt ~ ' as date)', n, u), -1) }} as date)
    end as period_end,
    case when {{ regex_full_match(col, '\d{4}') }} then 'P1Y' else {{ dur }} end as period_duration,
    case when {{ dur }} is null and not {{ regex_full_match(col, '\d{4}') }} then 'instant' else 'interval' end as period_kind
{%- endmacro %}
