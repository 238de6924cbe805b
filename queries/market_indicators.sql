-- One row per watch indicator, with how many milestones are known on $as_of.
-- Params: $as_of
with known as (
    select indicator, count(*) as milestones
    from milestone_known
    where known_at <= $as_of
    group by indicator
),

final as (
    select
        i.indicator,
        i.name,
        i.sort_order,
        coalesce(k.milestones, 0) as milestones
    from indicator as i
    left join known as k using (indicator)
)

select * from final
order by sort_order, indicator
