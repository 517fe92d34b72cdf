{#
  Portable building blocks: SQL that must give the same answer on every engine the project runs on, and on
  every run.

  exact_sum(expr, where=none): the sum of a floating-point expression, computed exactly (in DECIMAL(38, 10)) and
  returned as DOUBLE. A parallel floating-point sum depends on the order the engine happens to add the parts in;
  an exact sum does not, so two builds of the same inputs give the same bits (a release can then tell a mart that
  did not change from one that did, and DuckDB and Spark agree). `where` adds a FILTER clause to the aggregate.
#}
{% macro exact_sum(expr, where=none) -%}
    cast(sum(cast({{ expr }} as decimal(38, 10))){% if where %} filter (where {{ where }}){% endif %} as double)
{%- endmacro %}

{#
  Dialect differences between DuckDB and Spark SQL, one dispatched macro each (default__ = DuckDB, spark__ =
  Spark). Models call these instead of the engine's own spelling, so the same model file runs on both.
#}

{#- on-run-start: register the sources on engines that cannot read files in a relation (Spark; generated in
    macros/generated/spark_sources.sql). DuckDB reads them through external_location: nothing to do. -#}
{% macro register_sources() -%}{{ return(adapter.dispatch('register_sources')()) }}{%- endmacro %}
{% macro default__register_sources() -%}{%- endmacro %}

{#- whether a file exists (at run time) -#}
{% macro path_exists(path) -%}{{ return(adapter.dispatch('path_exists')(path)) }}{%- endmacro %}
{% macro default__path_exists(path) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {{ return(run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] > 0) }}
{%- endmacro %}
{% macro spark__path_exists(path) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {#- a glob that matches nothing is an error on Spark: list the path beside a file that always exists -#}
    {%- set always = env_var('LEVELUP_SPARK_RAW_LOCATION', env_var('LEVELUP_DATA_DIR') ~ '/raw') ~ '/*/current.json' -%}
    {%- set a, b = path.split('/'), always.split('/') -%}
    {%- set common = [] -%}
    {%- for i in range([a | length, b | length] | min - 1) -%}
        {%- if a[i] == b[i] and common | length == i -%}{%- do common.append(a[i]) -%}{%- endif -%}
    {%- endfor -%}
    {%- set n = common | length -%}
    {%- set pattern = common | join('/') ~ '/{' ~ a[n:] | join('/') ~ ',' ~ b[n:] | join('/') ~ '}' -%}
    {%- set q = "select count(*) from binaryFile.`" ~ pattern ~ "` where path like '%/" ~ a[-1] ~ "'" -%}
    {{ return(run_query(q).columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- a partial regular-expression match (true when the pattern matches somewhere in the text) -#}
{% macro regex_contains(expr, pattern) -%}{{ adapter.dispatch('regex_contains')(expr, pattern) }}{%- endmacro %}
{% macro default__regex_contains(expr, pattern) -%}regexp_matches({{ expr }}, '{{ pattern }}'){%- endmacro %}
{% macro spark__regex_contains(expr, pattern) -%}({{ expr }} rlike '{{ pattern }}'){%- endmacro %}

{#- a whole-text regular-expression match -#}
{% macro regex_full_match(expr, pattern) -%}{{ adapter.dispatch('regex_full_match')(expr, pattern) }}{%- endmacro %}
{% macro default__regex_full_match(expr, pattern) -%}regexp_full_match({{ expr }}, '{{ pattern }}'){%- endmacro %}
{% macro spark__regex_full_match(expr, pattern) -%}({{ expr }} rlike '^(?:{{ pattern }})$'){%- endmacro %}

{#- a date plus n years / months / weeks / days (`unit` is a SQL expression giving 'Y', 'M', 'W' or 'D') -#}
{% macro add_duration(date_expr, n, unit) -%}{{ adapter.dispatch('add_duration')(date_expr, n, unit) }}{%- endmacro %}
{% macro default__add_duration(date_expr, n, unit) -%}
    ({{ date_expr }} + case {{ unit }}
                when 'Y' then to_years({{ n }})
                when 'M' then to_months({{ n }})
                when 'W' then to_weeks({{ n }})
                when 'D' then to_days({{ n }})
              end)
{%- endmacro %}
{% macro spark__add_duration(date_expr, n, unit) -%}
    case {{ unit }}
        when 'Y' then add_months({{ date_expr }}, 12 * {{ n }})
        when 'M' then add_months({{ date_expr }}, {{ n }})
        when 'W' then date_add({{ date_expr }}, 7 * {{ n }})
        when 'D' then date_add({{ date_expr }}, {{ n }})
    end
{%- endmacro %}

{#- the day before / after a date -#}
{% macro add_days(date_expr, n) -%}{{ adapter.dispatch('add_days')(date_expr, n) }}{%- endmacro %}
{% macro default__add_days(date_expr, n) -%}({{ date_expr }} {{ '+' if n >= 0 else '-' }} interval {{ n | abs }} day){%- endmacro %}
{% macro spark__add_days(date_expr, n) -%}date_add({{ date_expr }}, {{ n }}){%- endmacro %}

{#- the values of a group as a sorted list (nulls dropped); distinct=true keeps each value once -#}
{% macro sorted_list(expr, distinct=false) -%}{{ adapter.dispatch('sorted_list')(expr, distinct) }}{%- endmacro %}
{% macro default__sorted_list(expr, distinct) -%}list({{ 'distinct ' if distinct }}{{ expr }} order by {{ expr }}){%- endmacro %}
{% macro spark__sorted_list(expr, distinct) -%}array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ expr }})){%- endmacro %}

{#- the values of a group as a list, in no particular order (nulls dropped) -#}
{% macro any_order_list(expr) -%}{{ adapter.dispatch('any_order_list')(expr) }}{%- endmacro %}
{% macro default__any_order_list(expr) -%}list({{ expr }}){%- endmacro %}
{% macro spark__any_order_list(expr) -%}collect_list({{ expr }}){%- endmacro %}

{#- the values of a group joined with `sep` in sorted order (NULL when there are none); `where` filters -#}
{% macro sorted_string_agg(expr, sep, distinct=false, where=none) -%}{{ adapter.dispatch('sorted_string_agg')(expr, sep, distinct, where) }}{%- endmacro %}
{% macro default__sorted_string_agg(expr, sep, distinct, where) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expr }}, '{{ sep }}' order by {{ expr }}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}
{% macro spark__sorted_string_agg(expr, sep, distinct, where) -%}
    nullif(array_join(array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ expr }}){% if where %} filter (where {{ where }}){% endif %}), '{{ sep }}'), '')
{%- endmacro %}

{#- a list literal of one element, whether a list contains a value, contains all of another, its first
    element matching a LIKE pattern (or NULL), and a list's elements as rows (in a select list) -#}
{% macro list_of(expr) -%}{{ adapter.dispatch('list_of')(expr) }}{%- endmacro %}
{% macro default__list_of(expr) -%}[{{ expr }}]{%- endmacro %}
{% macro spark__list_of(expr) -%}array({{ expr }}){%- endmacro %}

{% macro list_has(list_expr, value) -%}{{ adapter.dispatch('list_has')(list_expr, value) }}{%- endmacro %}
{% macro default__list_has(list_expr, value) -%}list_contains({{ list_expr }}, {{ value }}){%- endmacro %}
{% macro spark__list_has(list_expr, value) -%}array_contains({{ list_expr }}, {{ value }}){%- endmacro %}

{% macro list_has_every(list_expr, other) -%}{{ adapter.dispatch('list_has_every')(list_expr, other) }}{%- endmacro %}
{% macro default__list_has_every(list_expr, other) -%}list_has_all({{ list_expr }}, {{ other }}){%- endmacro %}
{% macro spark__list_has_every(list_expr, other) -%}(size(array_except({{ other }}, {{ list_expr }})) = 0){%- endmacro %}

{% macro first_like(list_expr, pattern) -%}{{ adapter.dispatch('first_like')(list_expr, pattern) }}{%- endmacro %}
{% macro default__first_like(list_expr, pattern) -%}list_filter({{ list_expr }}, lambda x: x like '{{ pattern }}')[1]{%- endmacro %}
{% macro spark__first_like(list_expr, pattern) -%}element_at(filter({{ list_expr }}, x -> x like '{{ pattern }}'), 1){%- endmacro %}

{% macro unnest_list(list_expr) -%}{{ adapter.dispatch('unnest_list')(list_expr) }}{%- endmacro %}
{% macro default__unnest_list(list_expr) -%}unnest({{ list_expr }}){%- endmacro %}
{% macro spark__unnest_list(list_expr) -%}explode({{ list_expr }}){%- endmacro %}

{#- the text split on a literal separator, as a list -#}
{% macro split_list(expr, sep) -%}{{ adapter.dispatch('split_list')(expr, sep) }}{%- endmacro %}
{% macro default__split_list(expr, sep) -%}string_split({{ expr }}, '{{ sep }}'){%- endmacro %}
{% macro spark__split_list(expr, sep) -%}split({{ expr }}, '\Q{{ sep }}\E'){%- endmacro %}

{#- the arg of the largest val in a group -#}
{% macro arg_max_of(arg, val) -%}{{ adapter.dispatch('arg_max_of')(arg, val) }}{%- endmacro %}
{% macro default__arg_max_of(arg, val) -%}arg_max({{ arg }}, {{ val }}){%- endmacro %}
{% macro spark__arg_max_of(arg, val) -%}max_by({{ arg }}, {{ val }}){%- endmacro %}

{#- a timestamp with time zone (DuckDB keeps the zone; Spark's timestamp is the session's, UTC) -#}
{% macro type_timestamptz() -%}{{ adapter.dispatch('type_timestamptz')() }}{%- endmacro %}
{% macro default__type_timestamptz() -%}timestamptz{%- endmacro %}
{% macro spark__type_timestamptz() -%}timestamp{%- endmacro %}

{#- text (DuckDB VARCHAR; Spark's VARCHAR needs a length, its text type is STRING) -#}
{% macro type_text() -%}{{ adapter.dispatch('type_text')() }}{%- endmacro %}
{% macro default__type_text() -%}varchar{%- endmacro %}
{% macro spark__type_text() -%}string{%- endmacro %}

{#- the CTE `cte` (whose columns are those of `relation`) unpivoted on the columns whose names match `pattern` (a
    regex): one row per (row, column) with the column's name in `name_col` and its value in `value_col`, NULL
    values left out -#}
{% macro unpivot_matching(cte, relation, pattern, name_col, value_col) -%}{{ adapter.dispatch('unpivot_matching')(cte, relation, pattern, name_col, value_col) }}{%- endmacro %}
{% macro default__unpivot_matching(cte, relation, pattern, name_col, value_col) -%}
    unpivot {{ cte }}
    on columns('{{ pattern }}')
    into name {{ name_col }} value {{ value_col }}
{%- endmacro %}
{% macro spark__unpivot_matching(cte, relation, pattern, name_col, value_col) -%}
    {%- set cols = [] -%}
    {%- if execute -%}
        {%- for c in adapter.get_columns_in_relation(relation) if modules.re.search(pattern, c.name) -%}{%- do cols.append(c.name) -%}{%- endfor -%}
    {%- endif -%}
    select * from {{ cte }} unpivot ({{ value_col }} for {{ name_col }} in ({% for c in cols %}`{{ c }}`{{ ', ' if not loop.last }}{% endfor %}))
{%- endmacro %}

{#- an empty list of text -#}
{% macro empty_text_list() -%}{{ adapter.dispatch('empty_text_list')() }}{%- endmacro %}
{% macro default__empty_text_list() -%}[]{%- endmacro %}
{% macro spark__empty_text_list() -%}cast(array() as array<string>){%- endmacro %}

{#- UNION ALL matching columns by name (DuckDB). Spark SQL has no by-name union: there it is positional, so every
    side of such a union lists the same columns in the same order (missing ones as typed NULLs) - which gives
    the same rows on DuckDB too. -#}
{% macro union_all_by_name() -%}{{ adapter.dispatch('union_all_by_name')() }}{%- endmacro %}
{% macro default__union_all_by_name() -%}union all by name{%- endmacro %}
{% macro spark__union_all_by_name() -%}union all{%- endmacro %}

{#- a NULL column with no type of its own (DuckDB keeps it so; Spark cannot store a VOID column: `spark_type`) -#}
{% macro untyped_null(spark_type='string') -%}{{ adapter.dispatch('untyped_null')(spark_type) }}{%- endmacro %}
{% macro default__untyped_null(spark_type) -%}null{%- endmacro %}
{% macro spark__untyped_null(spark_type) -%}cast(null as {{ spark_type }}){%- endmacro %}

{#- two lists concatenated; `other_duckdb` / `other_spark` spell the second list's literal on each engine -#}
{% macro list_concat(list_expr, other_duckdb, other_spark) -%}{{ adapter.dispatch('list_concat')(list_expr, other_duckdb, other_spark) }}{%- endmacro %}
{% macro default__list_concat(list_expr, other_duckdb, other_spark) -%}{{ list_expr }} || {{ other_duckdb }}{%- endmacro %}
{% macro spark__list_concat(list_expr, other_duckdb, other_spark) -%}concat({{ list_expr }}, {{ other_spark }}){%- endmacro %}

{#- Whether a staging model parses each distinct period text once and joins it back (DuckDB), or parses every
    row (Spark). On DuckDB the per-row parse (regular expressions, date arithmetic) was most of the cost of reading
    a national small-area staging view (10M rows: 15-19 s, 5-7 s parsed once; a file has a few hundred distinct
    periods at most). On Spark the second scan and join of each of ~60 staging views kept the union in
    int_geography_source_observations running for minutes instead of 42-49 s, so Spark keeps the per-row parse.
    The results are the same (tests/test_spark_equality.py). -#}
{% macro parse_each_distinct_period() -%}{{ return(adapter.dispatch('parse_each_distinct_period')()) }}{%- endmacro %}
{% macro default__parse_each_distinct_period() -%}{{ return(true) }}{%- endmacro %}
{% macro spark__parse_each_distinct_period() -%}{{ return(false) }}{%- endmacro %}
