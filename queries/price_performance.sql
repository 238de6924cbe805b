-- One row per ticker per plotted trading day in [$start, $as_of]: adjusted close rebased to 100, drawdown, rolling 60-day correlation and beta against $benchmark.
-- Params: $tickers, $benchmark, $start, $base_date, $as_of, $max_points
-- Performance uses adj_close (split- and dividend-adjusted); close is as the source delivered it.
-- rebased = 100 * adj_close / adj_close on the ticker's first trading day on or after $base_date.
-- drawdown_pct = adj_close against its highest adj_close since $start, in %.
-- corr_60d / beta_60d: over the 60 daily returns ending that day (simple returns of adj_close,
--   paired with $benchmark's on the same days; null until 60 pairs exist). beta = regression slope.
-- Plotted days: every trading day when tickers x days <= $max_points; otherwise each ticker's
--   last trading day of each week (or month, quarter, year: the finest grain that fits), plus its
--   first day in the window and its rebase day, so a chart never gets more than $max_points points.
with wanted as (
    select distinct unnest($tickers) as ticker
),

history as (
    -- the window plus about 200 calendar days before it, so the rolling figures start on day one
    select
        p.ticker,
        p.date,
        p.close,
        p.adj_close,
        p.adj_close / lag(p.adj_close) over (partition by p.ticker order by p.date) - 1 as return_1d
    from price as p
    where (p.ticker in (select ticker from wanted) or p.ticker = $benchmark)
        and p.date <= $as_of
        and p.date >= $start - interval 200 day
),

benchmark as (
    select date, return_1d as benchmark_return_1d
    from history
    where ticker = $benchmark
),

rolling as (
    select
        h.*,
        case when regr_count(h.return_1d, b.benchmark_return_1d) over w = 60
            then corr(h.return_1d, b.benchmark_return_1d) over w end as corr_60d,
        case when regr_count(h.return_1d, b.benchmark_return_1d) over w = 60
            then regr_slope(h.return_1d, b.benchmark_return_1d) over w end as beta_60d
    from history as h
    left join benchmark as b using (date)
    where h.ticker in (select ticker from wanted)
    window w as (partition by h.ticker order by h.date rows between 59 preceding and current row)
),

in_window as (
    select
        *,
        min(date) over (partition by ticker) as first_day,
        min(date) filter (where date >= $base_date) over (partition by ticker) as base_day,
        max(adj_close) over (partition by ticker order by date
                             rows between unbounded preceding and current row) as peak
    from rolling
    where date >= $start
),

sizes as (
    select
        count(distinct ticker) as n_tickers,
        count(distinct date) as n_days,
        count(distinct date_trunc('week', date)) as n_weeks,
        count(distinct date_trunc('month', date)) as n_months,
        count(distinct date_trunc('quarter', date)) as n_quarters
    from in_window
),

grain as (
    select case
        when n_tickers * n_days <= $max_points then 'day'
        when n_tickers * (n_weeks + 2) <= $max_points then 'week'
        when n_tickers * (n_months + 2) <= $max_points then 'month'
        when n_tickers * (n_quarters + 2) <= $max_points then 'quarter'
        else 'year'
    end as grain
    from sizes
),

periods as (
    select
        w.*,
        g.grain,
        case g.grain when 'day' then w.date else date_trunc(g.grain, w.date) end as period
    from in_window as w
    cross join grain as g
),

marked as (
    select
        *,
        max(date) over (partition by ticker, period) as period_last_day,
        arg_min(adj_close, date) filter (where date >= base_day) over (partition by ticker) as base_adj_close
    from periods
),

final as (
    select
        ticker,
        date,
        grain,
        close,
        adj_close,
        base_day,
        100 * adj_close / base_adj_close as rebased,
        100 * (adj_close / base_adj_close - 1) as return_since_base_pct,
        100 * (adj_close / peak - 1) as drawdown_pct,
        corr_60d,
        beta_60d,
        ticker = $benchmark as is_benchmark
    from marked
    where date = period_last_day or date = first_day or date = base_day
)

select * from final
order by ticker, date
