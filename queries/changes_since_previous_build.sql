-- One row per fact this build added, changed or removed against the store it replaced, as known on $as_of.
-- Params: $as_of
-- Facts are the rows of segment_revenue, kpi, milestone and leaderboard, identified by their keys
-- (schema.sql); a change in any column counts and changed_columns names them. The previous store's
-- rows were copied into prev_* by the build (store.py). Only facts published by $as_of (before and
-- after the change) are listed, so a point-in-time view never shows a later figure. Empty unless
-- prev_build says the previous store was read ('ok'); see changes_previous_build.sql.
with cur_segment as (
    select
        'segment revenue' as fact_table,
        concat_ws('|', s.fiscal_year, s.fiscal_quarter, s.basis, s.segment) as fact_key,
        s.segment || ', ' || case when s.fiscal_quarter = 'FY' then 'FY' || s.fiscal_year::varchar
            else 'FY' || lpad((s.fiscal_year % 100)::varchar, 2, '0') || ' ' || s.fiscal_quarter end
            || ' (' || s.basis || ')' as fact,
        '$' || num_text(s.revenue_usd_m / 1000) || 'bn' as value_text,
        s.reported_at as published_at,
        s.source_url,
        s.source_kind,
        to_json(s) as row_json
    from segment_revenue as s
),

prev_segment as (
    select
        'segment revenue' as fact_table,
        concat_ws('|', s.fiscal_year, s.fiscal_quarter, s.basis, s.segment) as fact_key,
        s.segment || ', ' || case when s.fiscal_quarter = 'FY' then 'FY' || s.fiscal_year::varchar
            else 'FY' || lpad((s.fiscal_year % 100)::varchar, 2, '0') || ' ' || s.fiscal_quarter end
            || ' (' || s.basis || ')' as fact,
        '$' || num_text(s.revenue_usd_m / 1000) || 'bn' as value_text,
        s.reported_at as published_at,
        s.source_url,
        s.source_kind,
        to_json(s) as row_json
    from prev_segment_revenue as s
),

cur_kpi as (
    select
        'kpi' as fact_table,
        concat_ws('|', k.kpi_id, k.period_end) as fact_key,
        coalesce(c.label, k.kpi_id) || ', ' || period_label(k.period_end) as fact,
        value_text(k.value, c.unit, k.qualifier) as value_text,
        k.reported_at as published_at,
        k.source_url,
        k.source_kind,
        to_json(k) as row_json
    from kpi as k
    left join kpi_catalog as c using (kpi_id)
),

prev_kpi_facts as (
    select
        'kpi' as fact_table,
        concat_ws('|', k.kpi_id, k.period_end) as fact_key,
        coalesce(c.label, k.kpi_id) || ', ' || period_label(k.period_end) as fact,
        value_text(k.value, c.unit, k.qualifier) as value_text,
        k.reported_at as published_at,
        k.source_url,
        k.source_kind,
        to_json(k) as row_json
    from prev_kpi as k
    left join kpi_catalog as c using (kpi_id)
),

cur_milestone as (
    select
        'milestone' as fact_table,
        m.id as fact_key,
        m.title as fact,
        date_label(m.date, m.date_precision) || ': ' || m.title as value_text,
        known_at_of(m.date, m.date_precision) as published_at,
        m.source_url,
        m.source_kind,
        to_json(m) as row_json
    from milestone as m
),

prev_milestone_facts as (
    select
        'milestone' as fact_table,
        m.id as fact_key,
        m.title as fact,
        date_label(m.date, m.date_precision) || ': ' || m.title as value_text,
        known_at_of(m.date, m.date_precision) as published_at,
        m.source_url,
        m.source_kind,
        to_json(m) as row_json
    from prev_milestone as m
),

cur_leaderboard as (
    select
        'leaderboard' as fact_table,
        concat_ws('|', l.model, l.board, l.metric, l.observed_at) as fact_key,
        l.model || ' on ' || l.board || ', ' || strftime(l.observed_at, '%Y-%m-%d') as fact,
        concat_ws(', ', '#' || l.rank::varchar, 'score ' || num_text(l.value)) as value_text,
        l.observed_at as published_at,
        l.source_url,
        l.source_kind,
        to_json(l) as row_json
    from leaderboard as l
),

prev_leaderboard_facts as (
    select
        'leaderboard' as fact_table,
        concat_ws('|', l.model, l.board, l.metric, l.observed_at) as fact_key,
        l.model || ' on ' || l.board || ', ' || strftime(l.observed_at, '%Y-%m-%d') as fact,
        concat_ws(', ', '#' || l.rank::varchar, 'score ' || num_text(l.value)) as value_text,
        l.observed_at as published_at,
        l.source_url,
        l.source_kind,
        to_json(l) as row_json
    from prev_leaderboard as l
),

cur as (
    select * from cur_segment
    union all select * from cur_kpi
    union all select * from cur_milestone
    union all select * from cur_leaderboard
),

prev as (
    select * from prev_segment
    union all select * from prev_kpi_facts
    union all select * from prev_milestone_facts
    union all select * from prev_leaderboard_facts
),

compared as (
    select
        coalesce(c.fact_table, p.fact_table) as fact_table,
        coalesce(c.fact_key, p.fact_key) as fact_key,
        case when p.fact_key is null then 'added' when c.fact_key is null then 'removed'
             else 'changed' end as change,
        coalesce(c.fact, p.fact) as fact,
        p.value_text as before_text,
        c.value_text as after_text,
        case when c.fact_key is not null and p.fact_key is not null then
            array_to_string(list_filter(json_keys(c.row_json),
                lambda k: (c.row_json ->> k) is distinct from (p.row_json ->> k)), ', ')
        end as changed_columns,
        p.published_at::date as before_published_at,
        c.published_at::date as after_published_at,
        coalesce(c.source_url, p.source_url) as source_url,
        coalesce(c.source_kind, p.source_kind) as source_kind
    from cur as c
    full join prev as p on p.fact_table = c.fact_table and p.fact_key = c.fact_key
    where c.row_json::varchar is distinct from p.row_json::varchar
      and exists (select 1 from prev_build where outcome = 'ok')
),

final as (
    select *
    from compared
    where coalesce(before_published_at, date '0001-01-01') <= $as_of
      and coalesce(after_published_at, date '0001-01-01') <= $as_of
)

select * from final
order by case change when 'added' then 1 when 'changed' then 2 else 3 end,
         coalesce(after_published_at, before_published_at) desc, fact_table, fact
