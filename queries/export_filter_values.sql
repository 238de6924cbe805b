-- One row per value the API's filters accept: kind (kpi_id | indicator | ticker) and value.
-- Params: none
-- A filter value that is well formed but not listed here gets a 400 naming it (a typo, not an empty answer).
with kpis as (
    select 'kpi_id' as kind, kpi_id as value from kpi_catalog
),

indicators as (
    select 'indicator' as kind, indicator as value from indicator
),

tickers as (
    select 'ticker' as kind, ticker as value from ticker
    union
    select distinct 'ticker' as kind, ticker as value from price
),

final as (
    select * from kpis
    union all select * from indicators
    union all select * from tickers
)

select * from final
order by kind, value
