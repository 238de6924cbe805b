-- One row per segment, fiscal quarter (or year) and basis published by $as_of, with its source (the API's segment_revenue table).
-- Params: $as_of, $start, $end
-- Point in time as on the pages: a row counts once its reported_at has passed. $start / $end bound period_end.
with known as (
    select *
    from segment_revenue
    where reported_at <= $as_of
      and period_end between $start and $end
),

final as (
    select
        fiscal_year,
        fiscal_quarter,
        period_end,
        basis,
        segment,
        revenue_usd_m,
        reported_at,
        source_url,
        source_kind,
        checked_against
    from known
)

select * from final
order by period_end, fiscal_quarter, basis, segment
