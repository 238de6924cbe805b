-- One row per milestone published by $as_of whose indicator, category or stage track was asked for.
-- Params: $as_of, $indicators, $categories, $tracks
-- A milestone matches when its indicator is in $indicators, OR its category is in $categories, OR
-- it is tagged on a track in $tracks (data/milestone_stage.csv). "Published" = milestone_known.known_at
-- (the end of its period for month / year precision). kind: 'press report' for a milestone tagged
-- with stage 'reported' (a report of plans or progress, not Microsoft's announcement), otherwise
-- 'announcement'. nth_in_category counts the category's milestones up to this one (for timelines).
with tags as (
    select
        milestone_id as id,
        string_agg(track || ': ' || stage, '; ' order by track) as stages,
        bool_or(stage = 'reported') as is_report,
        list(track) as tracks
    from milestone_stage
    group by milestone_id
),

known as (
    select m.*, i.name as indicator_name, t.stages, coalesce(t.is_report, false) as is_report, t.tracks
    from milestone_known as m
    inner join indicator as i using (indicator)
    left join tags as t using (id)
    where m.known_at <= $as_of
),

matched as (
    select *
    from known
    where list_contains($indicators::varchar[], indicator)
       or list_contains($categories::varchar[], category)
       or len(list_intersect(coalesce(tracks, []::varchar[]), $tracks::varchar[])) > 0
),

final as (
    select
        id,
        date,
        date_precision,
        date_label(date, date_precision) as date_label,
        known_at::date as known_at,
        indicator,
        indicator_name,
        category,
        title,
        detail,
        case when is_report then 'press report' else 'announcement' end as kind,
        stages,
        source_url,
        source_kind,
        row_number() over (partition by category order by date, id) as nth_in_category
    from matched
)

select * from final
order by date desc, id
