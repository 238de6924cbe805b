-- One row per leaderboard standing observed by $as_of (the API's leaderboard table).
-- Params: $as_of, $start, $end
-- $start / $end bound observed_at.
with known as (
    select *
    from leaderboard
    where observed_at <= $as_of
      and observed_at between $start and $end
),

final as (
    select model, vendor, board, metric, value, rank, observed_at, source_url, source_kind, checked_against, note
    from known
)

select * from final
order by observed_at, board, metric, rank, model
