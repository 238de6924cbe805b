-- One row per earnings release published by $as_of (the API's earnings_release table).
-- Params: $as_of, $start, $end
-- $start / $end bound period_end.
with known as (
    select *
    from earnings_release
    where release_date <= $as_of
      and period_end between $start and $end
),

final as (
    select fiscal_year, fiscal_quarter, period_end, release_date, source_url, source_kind, checked_against
    from known
)

select * from final
order by period_end
