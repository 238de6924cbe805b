-- One row per milestone known on $as_of (the API's milestone table).
-- Params: $as_of, $indicators, $start, $end
-- Known = milestone_known.known_at (the end of its period for month / quarter / year precision), as
-- on the pages. Empty $indicators means all. $start / $end bound the milestone's date.
with known as (
    select *
    from milestone_known
    where known_at <= $as_of
      and date between $start and $end
      and (len($indicators::varchar[]) = 0 or list_contains($indicators::varchar[], indicator))
),

final as (
    select
        id,
        date,
        date_precision,
        date_label(date, date_precision) as date_label,
        known_at::date as known_at,
        indicator,
        category,
        title,
        detail,
        source_url,
        source_kind
    from known
)

select * from final
order by date, id
