-- One row per feed entry published by $as_of: each milestone, each KPI figure, each segment quarter (per basis).
-- Params: $as_of, $indicators
-- entry_key is stable across builds (it is made of the fact's own key). published_at is the day the
-- fact became public, as on the pages: reported_at for figures, milestone_known.known_at for
-- milestones. Segment quarters belong to no indicator; with $indicators non-empty they are left out.
with kpi_facts as (
    select
        k.*,
        c.label,
        c.unit,
        c.indicator,
        lag(k.value) over w as prev_value,
        lag(k.qualifier) over w as prev_qualifier,
        lag(k.period_end) over w as prev_period_end,
        lag(k.reported_at) over w as prev_reported_at
    from kpi as k
    inner join kpi_catalog as c using (kpi_id)
    where k.reported_at <= $as_of
    window w as (partition by k.kpi_id order by k.period_end)
),

kpi_entries as (
    select
        'kpi/' || kpi_id || '/' || strftime(period_end, '%Y-%m-%d') as entry_key,
        'figure' as kind,
        indicator,
        reported_at as published_at,
        label || ', ' || period_label(period_end) || ': ' || value_text(value, unit, qualifier) as title,
        label || ' for ' || period_label(period_end) || ': ' || value_text(value, unit, qualifier)
            || coalesce(' (previous: ' || value_text(prev_value, unit, prev_qualifier) || ' for '
                        || period_label(prev_period_end) || '; change ' || delta_text(value - prev_value, unit)
                        || ')', '')
            || '. Published ' || strftime(reported_at, '%Y-%m-%d') || '.'
            || coalesce(' Note: ' || note, '') as summary,
        source_url,
        source_kind
    from kpi_facts
),

segment_known as (
    select *
    from segment_revenue
    where reported_at <= $as_of
),

segment_entries as (
    select
        'segment_revenue/' || fiscal_year::varchar || '/' || fiscal_quarter || '/' || basis as entry_key,
        'segment quarter' as kind,
        null::varchar as indicator,
        max(reported_at) as published_at,
        'Segment revenue ' || case when fiscal_quarter = 'FY' then 'FY' || fiscal_year::varchar
            else fiscal_label(max(period_end)) end
            || case when basis = 'recast' then ' (recast)' else '' end
            || coalesce(': total $' || num_text(round(max(revenue_usd_m) filter (where segment = 'Total') / 1000, 1))
                        || 'bn', '') as title,
        string_agg(segment || ' $' || num_text(round(revenue_usd_m / 1000, 1)) || 'bn', '; '
                   order by segment = 'Total', segment)
            || ' (' || replace(basis, '_', ' ') || ', quarter ended ' || strftime(max(period_end), '%Y-%m-%d')
            || '). Published ' || strftime(max(reported_at), '%Y-%m-%d') || '.' as summary,
        min(source_url) as source_url,
        arg_min(source_kind, source_url) as source_kind
    from segment_known
    group by fiscal_year, fiscal_quarter, basis
),

milestone_entries as (
    select
        'milestone/' || m.id as entry_key,
        'milestone' as kind,
        m.indicator,
        m.known_at::date as published_at,
        i.name || ': ' || m.title as title,
        date_label(m.date, m.date_precision) || ' · ' || m.category || '. ' || m.detail as summary,
        m.source_url,
        m.source_kind
    from milestone_known as m
    inner join indicator as i using (indicator)
    where m.known_at <= $as_of
),

entries as (
    select * from kpi_entries
    union all select * from segment_entries
    union all select * from milestone_entries
),

final as (
    select e.*, i.name as indicator_name
    from entries as e
    left join indicator as i using (indicator)
    where len($indicators::varchar[]) = 0 or list_contains($indicators::varchar[], e.indicator)
)

select * from final
order by published_at desc, entry_key
