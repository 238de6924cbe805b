-- One row per trading day up to $as_of: a day on which both $subject and $benchmark have an adjusted close.
-- Params: $subject, $benchmark, $as_of
-- The event study (aiwatch/events.py) turns these into simple daily returns between consecutive
-- rows, so a day only one of the two traded (or a missing benchmark day) is no trading day here.
with subject as (
    select date, adj_close
    from price
    where ticker = $subject and date <= $as_of and adj_close is not null
),

benchmark as (
    select date, adj_close
    from price
    where ticker = $benchmark and date <= $as_of and adj_close is not null
),

final as (
    select
        s.date,
        s.adj_close as subject_adj_close,
        b.adj_close as benchmark_adj_close
    from subject as s
    inner join benchmark as b using (date)
)

select * from final
order by date
