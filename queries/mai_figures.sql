-- One row per published figure of the KPIs of $indicator known on $as_of, marked measurement or company statement.
-- Params: $indicator, $as_of
-- A rank on a public leaderboard is a measurement (taken by a third party); every other figure is
-- Microsoft's own statement (benchmarks it ran itself, counts it disclosed): a claim.
with final as (
    select
        k.kpi_id,
        c.label,
        c.unit,
        c.description,
        k.period_end,
        period_label(k.period_end) as period_label,
        strftime(k.period_end, '%Y-%m-%d') as date_label,
        k.value,
        k.qualifier,
        value_text(k.value, c.unit, k.qualifier) as value_text,
        case when c.unit = 'rank' then 'measurement' else 'company statement' end as evidence,
        k.reported_at,
        k.source_url,
        k.source_kind,
        k.note
    from kpi as k
    inner join kpi_catalog as c using (kpi_id)
    where c.indicator = $indicator and k.reported_at <= $as_of
)

select * from final
order by period_end desc, label
