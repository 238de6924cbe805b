-- One row per ticker in the ticker table, with its role and the prices stored up to $as_of.
-- Params: $as_of
-- role: subject (the company the thesis is about) | peer | index (a proxy such as QQQ).
-- list_order: the ticker's line in data/ticker.csv, 1 first (the build inserts rows in file order,
--   so rowid follows it); the first `index` ticker is the pages' default benchmark.
with listed as (
    select *, rowid + 1 as list_order
    from ticker
),

coverage as (
    select
        ticker,
        min(date) as first_date,
        max(date) as last_date,
        count(*) as trading_days
    from price
    where date <= $as_of
    group by ticker
),

final as (
    select
        t.ticker,
        t.name,
        t.role,
        t.source_url,
        t.list_order,
        c.first_date,
        c.last_date,
        coalesce(c.trading_days, 0) as trading_days
    from listed as t
    left join coverage as c using (ticker)
)

select * from final
order by case role when 'subject' then 0 when 'peer' then 1 else 2 end, ticker
