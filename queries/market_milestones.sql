-- One row per milestone of the chosen $indicators known on $as_of and dated on or after $start.
-- Params: $indicators, $start, $as_of
-- A milestone is known from known_at (the end of its period when its date is only a month,
-- quarter or year), so a point-in-time view never shows it early. `date` is the first day of
-- its period; date_label says how precise it is.
with wanted as (
    select unnest($indicators) as indicator
),

final as (
    select
        m.id,
        m.date,
        m.date_precision,
        case m.date_precision
            when 'day' then strftime(m.date, '%Y-%m-%d')
            when 'month' then strftime(m.date, '%Y-%m') || ' (month)'
            when 'quarter' then strftime(m.date, '%Y') || ' Q' || quarter(m.date)::varchar || ' (quarter)'
            else strftime(m.date, '%Y') || ' (year)'
        end as date_label,
        m.known_at,
        m.indicator,
        i.name as indicator_name,
        m.category,
        m.title,
        m.detail,
        m.source_url,
        m.source_kind
    from milestone_known as m
    inner join indicator as i using (indicator)
    where m.indicator in (select indicator from wanted)
        and m.known_at <= $as_of
        and m.date >= $start
)

select * from final
order by date, id
