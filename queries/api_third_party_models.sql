-- One row per third-party model brought to Microsoft's platforms, published by $as_of.
-- Params: $as_of, $categories, $kpi_ids
-- Two kinds of evidence: milestones of the categories in $categories (e.g. model diversification)
-- and availability figures (KPIs in $kpi_ids with unit 'flag', value 1 = available by period_end),
-- for models that have no milestone of their own. published_at is when it became public.
with from_milestones as (
    select
        date,
        date_label(date, date_precision) as date_label,
        known_at::date as published_at,
        title,
        detail,
        'milestone' as evidence,
        indicator,
        category as grouping,
        source_url,
        source_kind
    from milestone_known
    where list_contains($categories::varchar[], category) and known_at <= $as_of
),

from_flags as (
    select
        k.period_end as date,
        strftime(k.period_end, '%Y-%m-%d') as date_label,
        k.reported_at as published_at,
        c.label as title,
        coalesce(k.note, c.description) as detail,
        'availability figure' as evidence,
        c.indicator,
        c.label as grouping,
        k.source_url,
        k.source_kind
    from kpi as k
    inner join kpi_catalog as c using (kpi_id)
    where list_contains($kpi_ids::varchar[], k.kpi_id)
      and c.unit = 'flag' and k.value = 1 and k.reported_at <= $as_of
),

final as (
    select * from from_milestones
    union all
    select * from from_flags
)

select *, row_number() over (order by date, title) as models_so_far
from final
order by date
