-- Same area under an old and a new code (or two level labels) for the same feed, indicator and period must
-- carry the same value; rows returned name the feed, both codes, the period and both values.
select * from {{ ref('int_geography_recode_conflicts') }}
