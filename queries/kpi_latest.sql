-- One row per requested KPI with a value published by $as_of: its latest value and the one before it.
-- Params: $kpi_ids, $as_of
-- delta = latest minus previous, in the catalog unit (growth rates and shares change in points).
-- Rows come back in the order of $kpi_ids; a KPI with nothing published yet has no row.
with wanted as (
    select unnest($kpi_ids) as kpi_id
),

known as (
    select
        k.*,
        c.label,
        c.indicator,
        c.unit,
        c.higher_is_better,
        row_number() over (partition by k.kpi_id order by k.period_end desc) as recency
    from kpi as k
    inner join kpi_catalog as c using (kpi_id)
    inner join wanted as w using (kpi_id)
    where k.reported_at <= $as_of
),

final as (
    select
        l.kpi_id,
        l.label,
        l.indicator,
        l.unit,
        l.higher_is_better,
        l.period_end,
        period_label(l.period_end) as period_label,
        l.value,
        l.qualifier,
        value_text(l.value, l.unit, l.qualifier) as value_text,
        l.reported_at,
        l.source_url,
        l.source_kind,
        l.note,
        p.period_end as prev_period_end,
        period_label(p.period_end) as prev_period_label,
        p.value as prev_value,
        value_text(p.value, p.unit, p.qualifier) as prev_value_text,
        l.value - p.value as delta,
        delta_text(l.value - p.value, l.unit) as delta_text,
        p.reported_at as prev_reported_at,
        p.source_url as prev_source_url,
        p.source_kind as prev_source_kind
    from known as l
    left join known as p on p.kpi_id = l.kpi_id and p.recency = 2
    where l.recency = 1
)

select * from final
order by list_position($kpi_ids, kpi_id)
