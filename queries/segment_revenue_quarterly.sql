-- One row per fiscal quarter per segment ('Total' included) on the chosen basis, as known on $as_of.
-- Params: $basis, $as_of
-- $basis = 'as_reported': each quarter as Microsoft first published it (segment definitions
--   change where the recast begins). $basis = 'recast': today's segment definitions, i.e. the
--   recast figures where they exist, then as-reported figures for the quarters after the recast.
-- YoY growth compares with the prior-year quarter on the SAME definitions (preferring the recast
-- figure, as Microsoft does); when no such figure is known the growth is null, never mixed.
with quarters as (
    select * from segment_revenue where fiscal_quarter <> 'FY'
),

boundary as (
    select coalesce(max(period_end), date '1900-01-01') as last_recast_end
    from quarters
    where basis = 'recast'
),

known as (
    select
        q.*,
        (q.basis = 'recast' or q.period_end > b.last_recast_end) as current_definitions
    from quarters as q
    cross join boundary as b
    where q.reported_at <= $as_of
),

series as (
    select * from known
    where ($basis = 'as_reported' and basis = 'as_reported')
       or ($basis = 'recast' and (basis = 'recast' or current_definitions))
),

prior as (
    select
        s.fiscal_year, s.fiscal_quarter, s.segment,
        arg_min(p.revenue_usd_m, case p.basis when 'recast' then 0 else 1 end) as prior_year_usd_m,
        arg_min(p.basis, case p.basis when 'recast' then 0 else 1 end) as prior_year_basis
    from series as s
    inner join known as p
        on p.segment = s.segment
        and p.fiscal_quarter = s.fiscal_quarter
        and p.fiscal_year = s.fiscal_year - 1
        and p.current_definitions = s.current_definitions
    group by all
),

totals as (
    select fiscal_year, fiscal_quarter, revenue_usd_m as total_usd_m
    from series
    where segment = 'Total'
),

final as (
    select
        s.fiscal_year,
        s.fiscal_quarter,
        'FY' || lpad((s.fiscal_year % 100)::varchar, 2, '0') || ' ' || s.fiscal_quarter as quarter_label,
        s.period_end,
        s.segment,
        s.basis,
        s.current_definitions,
        s.revenue_usd_m,
        s.revenue_usd_m / 1000 as revenue_usd_bn,
        round(100 * (s.revenue_usd_m / p.prior_year_usd_m - 1), 1) as yoy_growth_pct,
        p.prior_year_usd_m,
        p.prior_year_basis,
        case when s.segment <> 'Total' then round(100 * s.revenue_usd_m / t.total_usd_m, 1) end as mix_pct,
        s.reported_at,
        s.source_url,
        s.source_kind
    from series as s
    left join prior as p using (fiscal_year, fiscal_quarter, segment)
    left join totals as t using (fiscal_year, fiscal_quarter)
)

select * from final
order by period_end, segment = 'Total', segment
