-- One row per watch indicator (data/indicator.csv), in display order.
-- Params: none
with final as (
    select indicator, name, question, sort_order, url_path, icon
    from indicator
)

select * from final
order by sort_order, indicator
