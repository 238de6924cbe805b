-- One row per fiscal year per basis per segment, as known on $as_of.
-- Params: $as_of
with final as (
    select
        fiscal_year,
        'FY' || fiscal_year::varchar as year_label,
        period_end,
        basis,
        segment,
        revenue_usd_m,
        revenue_usd_m / 1000 as revenue_usd_bn,
        reported_at,
        source_url,
        source_kind
    from segment_revenue
    where fiscal_quarter = 'FY' and reported_at <= $as_of
)

select * from final
order by fiscal_year, basis, segment = 'Total', segment
