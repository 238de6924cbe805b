-- One row per ticker in the ticker table, with its role and the prices stored up to $as_of.
-- Params: $as_of
-- role: subject (the company the thesis is about) | peer | index (a proxy such as QQQ).
with coverage as (
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
        c.first_date,
        c.last_date,
        coalesce(c.trading_days, 0) as trading_days
    from ticker as t
    left join coverage as c using (ticker)
)

select * from final
order by case role when 'subject' then 0 when 'peer' then 1 else 2 end, ticker
