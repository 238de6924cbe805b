-- One row per day-precision milestone of the chosen $indicators known on $as_of with prices around it: $subject's and $benchmark's returns over trading days [-1, +1] and [0, +5], and the difference.
-- Params: $subject, $benchmark, $indicators, $as_of
-- Trading days: the days on which both $subject and $benchmark have a price, up to $as_of.
-- Day 0: the milestone's date when it is a trading day, otherwise the next trading day.
-- A window [a, b] compounds the daily returns of trading days a..b, i.e. it runs from the close
--   of day a-1 to the close of day b (adjusted closes):
--     [-1, +1] = adj_close(day +1) / adj_close(day -2) - 1
--     [0, +5]  = adj_close(day +5) / adj_close(day -1) - 1
-- excess_*_pct = subject return - benchmark return, in percentage points (market-adjusted, not
--   beta-adjusted). A window not yet complete on $as_of is null. Association, not cause.
with wanted as (
    select unnest($indicators) as indicator
),

days as (
    select
        s.date,
        s.adj_close as subject_adj_close,
        b.adj_close as benchmark_adj_close,
        row_number() over (order by s.date) as n
    from price as s
    inner join price as b on b.date = s.date and b.ticker = $benchmark
    where s.ticker = $subject and s.date <= $as_of
),

events as (
    select m.*, i.name as indicator_name
    from milestone_known as m
    inner join indicator as i using (indicator)
    where m.date_precision = 'day'
        and m.known_at <= $as_of
        and m.indicator in (select indicator from wanted)
),

day0 as (
    select e.id, min(d.n) as n0
    from events as e
    inner join days as d on d.date >= e.date
    group by e.id
),

windows as (
    select
        e.id,
        d0.date as day0_date,
        dm2.date as day_m2_date,
        dp1.date as day_p1_date,
        dp5.date as day_p5_date,
        dp1.subject_adj_close / dm2.subject_adj_close - 1 as subject_m1_p1,
        dp1.benchmark_adj_close / dm2.benchmark_adj_close - 1 as benchmark_m1_p1,
        dp5.subject_adj_close / dm1.subject_adj_close - 1 as subject_0_p5,
        dp5.benchmark_adj_close / dm1.benchmark_adj_close - 1 as benchmark_0_p5
    from events as e
    inner join day0 as z on z.id = e.id
    inner join days as d0 on d0.n = z.n0
    inner join days as dm2 on dm2.n = z.n0 - 2
    inner join days as dm1 on dm1.n = z.n0 - 1
    left join days as dp1 on dp1.n = z.n0 + 1
    left join days as dp5 on dp5.n = z.n0 + 5
),

final as (
    select
        e.id,
        e.date,
        w.day0_date,
        e.indicator,
        e.indicator_name,
        e.category,
        e.title,
        $subject as subject,
        $benchmark as benchmark,
        round(100 * w.subject_m1_p1, 2) as subject_m1_p1_pct,
        round(100 * w.benchmark_m1_p1, 2) as benchmark_m1_p1_pct,
        round(100 * (w.subject_m1_p1 - w.benchmark_m1_p1), 2) as excess_m1_p1_pct,
        round(100 * w.subject_0_p5, 2) as subject_0_p5_pct,
        round(100 * w.benchmark_0_p5, 2) as benchmark_0_p5_pct,
        round(100 * (w.subject_0_p5 - w.benchmark_0_p5), 2) as excess_0_p5_pct,
        w.day_m2_date,
        w.day_p1_date,
        w.day_p5_date,
        e.source_url,
        e.source_kind
    from events as e
    inner join windows as w using (id)
)

select * from final
order by date, id
