-- One row per KPI in the catalog, with how many observations are known on $as_of.
-- Params: $as_of
with counts as (
    select kpi_id, count(*) as observations, max(period_end) as latest_period_end
    from kpi
    where reported_at <= $as_of
    group by kpi_id
),

final as (
    select c.*, coalesce(n.observations, 0) as observations, n.latest_period_end
    from kpi_catalog as c
    left join counts as n using (kpi_id)
)

select * from final
order by indicator, kpi_id
