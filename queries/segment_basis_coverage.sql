-- One row per fiscal quarter known on $as_of: how many segment figures each basis holds.
-- Params: $as_of
-- Used to say plainly which quarters have no recast segment values.
with known as (
    select * from segment_revenue
    where fiscal_quarter <> 'FY' and reported_at <= $as_of
),

final as (
    select
        fiscal_year,
        fiscal_quarter,
        'FY' || lpad((fiscal_year % 100)::varchar, 2, '0') || ' ' || fiscal_quarter as quarter_label,
        max(period_end) as period_end,
        count(*) filter (where basis = 'as_reported' and segment <> 'Total') as as_reported_segments,
        count(*) filter (where basis = 'recast' and segment <> 'Total') as recast_segments,
        bool_or(basis = 'recast' and segment = 'Total') as recast_total_known
    from known
    group by fiscal_year, fiscal_quarter
)

select * from final
order by period_end
