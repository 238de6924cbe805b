-- One row per observation of each requested KPI, as known on $as_of.
-- Params: $kpi_ids, $as_of
with wanted as (
    select unnest($kpi_ids) as kpi_id
),

final as (
    select
        k.kpi_id,
        c.label,
        c.indicator,
        c.unit,
        c.higher_is_better,
        k.period_end,
        fiscal_label(k.period_end) as quarter_label,
        k.value,
        k.qualifier,
        k.reported_at,
        k.source_url,
        k.source_kind,
        k.note
    from kpi as k
    inner join kpi_catalog as c using (kpi_id)
    inner join wanted as w using (kpi_id)
    where k.reported_at <= $as_of
)

select * from final
order by kpi_id, period_end
