-- One row per fiscal quarter released (data/earnings_release.csv) or with segment figures published by $as_of.
-- Params: $as_of
-- in_data: the quarter's as-reported segment figures had been published by $as_of. The Overview
-- and Financials use this with the release cadence to say when the next results were due.
with released as (
    select fiscal_year, fiscal_quarter, period_end, release_date
    from earnings_release
    where release_date <= $as_of
),

reported as (
    select distinct fiscal_year, fiscal_quarter, period_end
    from segment_revenue
    where fiscal_quarter <> 'FY' and basis = 'as_reported' and reported_at <= $as_of
),

final as (
    select
        coalesce(r.fiscal_year, s.fiscal_year) as fiscal_year,
        coalesce(r.fiscal_quarter, s.fiscal_quarter) as fiscal_quarter,
        coalesce(r.period_end, s.period_end) as period_end,
        r.release_date,
        s.period_end is not null as in_data
    from released as r
    full outer join reported as s using (fiscal_year, fiscal_quarter)
)

select * from final
order by period_end
