-- One row per leaderboard standing observed by $as_of, marked as $vendor's, a rival's near it, or other.
-- Params: $as_of, $vendor, $window_days
-- A standing is a measurement (a public leaderboard), not a claim. role: 'subject' for $vendor's
-- models; 'rival' for another vendor's standing on the same board observed within $window_days
-- days of a $vendor standing (compared_with names it); 'other' when no such standing is near.
-- best_of_vendor marks each vendor's best rank per board among the rows of its role.
with known as (
    select *
    from leaderboard
    where observed_at <= $as_of
),

subject as (
    select *
    from known
    where vendor = $vendor
),

paired as (
    select
        o.model, o.board, o.metric, o.observed_at,
        s.model as compared_with,
        s.observed_at as compared_at,
        s.rank as subject_rank,
        abs(date_diff('day', o.observed_at, s.observed_at)) as days_apart
    from known as o
    inner join subject as s
        on s.board = o.board
        and abs(date_diff('day', o.observed_at, s.observed_at)) <= $window_days
    where o.vendor <> $vendor
    qualify row_number() over (partition by o.model, o.board, o.metric, o.observed_at
                               order by days_apart, s.observed_at desc) = 1
),

final as (
    select
        k.model,
        k.vendor,
        k.board,
        k.metric,
        k.value,
        k.rank,
        k.observed_at,
        case
            when k.vendor = $vendor then 'subject'
            when p.compared_with is not null then 'rival'
            else 'other'
        end as role,
        p.compared_with,
        p.days_apart,
        p.subject_rank - k.rank as places_ahead_of_subject,
        row_number() over (
            partition by k.board, k.vendor,
                         (k.vendor = $vendor), (p.compared_with is not null)
            order by k.rank nulls last, k.observed_at desc) = 1 as best_of_vendor,
        k.source_url,
        k.source_kind,
        k.note
    from known as k
    left join paired as p using (model, board, metric, observed_at)
)

select * from final
order by board, observed_at, rank
