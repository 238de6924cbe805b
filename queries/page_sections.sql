-- One row per section of one page (data/page_section.csv), top to bottom.
-- Params: $page
-- $page is a watch indicator id, or one of the fixed pages overview, financials.
with final as (
    select page, sort_order, coalesce(beside, false) as beside, kind, refs, title, caption, options
    from page_section
    where page = $page
)

select * from final
order by sort_order
