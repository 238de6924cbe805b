-- One row per ticker per trading day up to $as_of (the API's price table).
-- Params: $as_of, $tickers, $start, $end
-- Empty $tickers means every ticker. $start / $end bound the trading day. source names where the
-- bar came from (yfinance, a Yahoo CSV, ...); the ticker table has each ticker's source_url.
with known as (
    select *
    from price
    where date <= $as_of
      and date between $start and $end
      and (len($tickers::varchar[]) = 0 or list_contains($tickers::varchar[], ticker))
),

final as (
    select ticker, date, open, high, low, close, adj_close, volume, source, fetched_at
    from known
)

select * from final
order by ticker, date
