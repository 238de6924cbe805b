-- One row per milestone on stage track $track published by $as_of, with the stage it marks.
-- Params: $track, $as_of
-- track_stages lists every stage of the track in order (from data/milestone_stage.csv), so a
-- chart can show the whole path even before a stage is reached; it carries no dates or figures.
with path as (
    select distinct stage, stage_order
    from milestone_stage
    where track = $track
),

track_info as (
    select
        string_agg(stage, ' → ' order by stage_order) as track_stages,
        max(stage_order) as stage_count
    from path
),

final as (
    select
        m.id,
        m.date,
        date_label(m.date, m.date_precision) as date_label,
        m.known_at::date as known_at,
        s.track,
        s.stage,
        s.stage_order,
        t.stage_count,
        t.track_stages,
        s.note as stage_note,
        m.title,
        m.detail,
        case when s.stage = 'reported' then 'press report' else 'announcement' end as kind,
        m.source_url,
        m.source_kind
    from milestone_stage as s
    inner join milestone_known as m on m.id = s.milestone_id
    cross join track_info as t
    where s.track = $track and m.known_at <= $as_of
)

select * from final
order by date, stage_order
