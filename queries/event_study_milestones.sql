-- One row per milestone dated to the day and known on $as_of: the events of the event study.
-- Params: $as_of
-- Every watch indicator takes part (a milestone confounds another whatever the page's filter).
with final as (
    select
        m.id,
        m.date,
        m.indicator,
        i.name as indicator_name,
        m.category,
        m.title,
        m.source_url,
        m.source_kind
    from milestone_known as m
    inner join indicator as i using (indicator)
    where m.date_precision = 'day'
        and m.known_at <= $as_of
)

select * from final
order by date, id
