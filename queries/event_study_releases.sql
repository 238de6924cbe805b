-- One row per earnings release published on or before $as_of: the results that can confound an event.
-- Params: $as_of
-- label names the fiscal quarter: 'FY25 Q2 results' for fiscal_year 2025, Q2.
with final as (
    select
        fiscal_year,
        fiscal_quarter,
        release_date,
        'FY' || lpad((fiscal_year % 100)::varchar, 2, '0') || ' ' || fiscal_quarter || ' results' as label,
        source_url,
        source_kind
    from earnings_release
    where release_date <= $as_of
)

select * from final
order by release_date
