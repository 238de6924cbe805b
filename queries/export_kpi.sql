-- One row per KPI observation published by $as_of, with its catalog label, unit and indicator (the API's kpi table).
-- Params: $as_of, $kpi_ids, $indicators, $start, $end
-- Empty $kpi_ids / $indicators mean all of them. $start / $end bound period_end.
with known as (
    select k.*, c.label, c.unit, c.indicator
    from kpi as k
    inner join kpi_catalog as c using (kpi_id)
    where k.reported_at <= $as_of
      and k.period_end between $start and $end
      and (len($kpi_ids::varchar[]) = 0 or list_contains($kpi_ids::varchar[], k.kpi_id))
      and (len($indicators::varchar[]) = 0 or list_contains($indicators::varchar[], c.indicator))
),

final as (
    select
        kpi_id,
        label,
        indicator,
        period_end,
        value,
        unit,
        qualifier,
        value_text(value, unit, qualifier) as value_text,
        reported_at,
        source_url,
        source_kind,
        checked_against,
        note
    from known
)

select * from final
order by kpi_id, period_end
