-- One row per subject ticker and index ticker pair: year-to-date return on the last trading day by $as_of.
-- Params: $as_of
-- Returns use adj_close (split- and dividend-adjusted). The year is the calendar year of the subject's
-- last stored trading day on or before $as_of; the base is the last close of the prior year, or the
-- first close of the year when the prior year is not stored. Empty when no prices are stored.
with known as (
    select p.ticker, p.date, p.adj_close, p.source, t.name, t.role, t.source_url
    from price as p
    inner join ticker as t using (ticker)
    where p.date <= $as_of and t.role in ('subject', 'index')
),

last_day as (
    select max(date) as end_date
    from known
    where role = 'subject'
),

per_ticker as (
    select
        k.ticker,
        k.name,
        k.role,
        k.source_url,
        any_value(k.source) as price_source,
        max(k.date) as end_date,
        arg_max(k.adj_close, k.date) as end_close,
        max(k.date) filter (where year(k.date) < year(l.end_date)) as prior_date,
        arg_max(k.adj_close, k.date) filter (where year(k.date) < year(l.end_date)) as prior_close,
        min(k.date) filter (where year(k.date) = year(l.end_date)) as first_date,
        arg_min(k.adj_close, k.date) filter (where year(k.date) = year(l.end_date)) as first_close
    from known as k
    cross join last_day as l
    where k.date <= l.end_date
    group by all
),

returns as (
    select
        *,
        coalesce(prior_date, first_date) as base_date,
        round(100 * (end_close / coalesce(prior_close, first_close) - 1), 2) as ytd_return_pct
    from per_ticker
    where coalesce(prior_close, first_close) is not null
),

final as (
    select
        s.ticker,
        s.name,
        s.ytd_return_pct,
        s.base_date,
        s.end_date,
        i.ticker as index_ticker,
        i.name as index_name,
        i.ytd_return_pct as index_ytd_return_pct,
        i.end_date as index_end_date,
        round(s.ytd_return_pct - i.ytd_return_pct, 2) as excess_return_pct_points,
        s.price_source,
        s.source_url,
        i.source_url as index_source_url
    from returns as s
    inner join returns as i on s.role = 'subject' and i.role = 'index'
)

select * from final
order by ticker, index_ticker
