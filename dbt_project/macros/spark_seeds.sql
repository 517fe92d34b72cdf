{#
  Seeds on Spark (dbt-spark's session method): its own `spark__load_csv_rows` substitutes values into the SQL
  unquoted-escaped (a quote inside a value breaks the statement) and writes a missing value as the text 'None'.
  This one writes each value as a literal: NULL for a missing one; a text in single quotes, or, when it holds a
  single quote, as concat() of its single-quoted pieces and "'" (so a text may hold both quote characters);
  string literals are read raw (spark.sql.parser.escapedStringLiterals), so a backslash stays a backslash.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
    {%- set sql -%}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for col_name in agate_table.column_names -%}
          {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
          {%- set v = row[loop.index0] -%}
          {%- if v is none -%}cast(null as {{ type }})
          {%- else -%}
            {%- set text = (v | string | lower) if v is sameas true or v is sameas false else (v | string) -%}
            {%- if "'" in text -%}
            {#- split at each single quote and join the pieces with a double-quoted one: concat('a', "'", 'b') -#}
            {%- set sep = "', " ~ '"' ~ "'" ~ '"' ~ ", '" -%}
            cast(concat('{{ text.split("'") | join(sep) }}') as {{ type }})
            {%- else -%}cast('{{ text }}' as {{ type }}){%- endif -%}
          {%- endif -%}
          {%- if not loop.last %},{% endif -%}
        {%- endfor -%}){%- if not loop.last %},{% endif %}
      {% endfor %}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
  {%- endfor -%}
  {{ return(statements[0] if statements else '') }}
{% endmacro %}
