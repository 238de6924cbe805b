-- One row per watch indicator: its name and question (the API's indicator table).
-- Params: $indicators
-- Not dated, so as_of does not change it. Empty $indicators means all.
with final as (
    select indicator, name, question, sort_order
    from indicator
    where len($indicators::varchar[]) = 0 or list_contains($indicators::varchar[], indicator)
)

select * from final
order by sort_order, indicator
