-- One row per ticker the dashboard follows: name, role (subject | peer | index), source (the API's ticker table).
-- Params: $tickers
-- Not dated, so as_of does not change it. Empty $tickers means all.
with final as (
    select ticker, name, role, source_url
    from ticker
    where len($tickers::varchar[]) = 0 or list_contains($tickers::varchar[], ticker)
)

select * from final
order by role, ticker
