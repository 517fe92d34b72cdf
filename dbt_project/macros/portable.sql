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
