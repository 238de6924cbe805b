-- One row per table whose rows carry a source: how many rows cite a primary source.
-- Params: none
-- Primary = source_kind 'filing' (the company's SEC filing) or 'company' (the company's own site);
-- 'press', 'measurement' and 'copy' are reported by others (data/README.md, "Source kinds").
-- copy_rows counts third-party copies of a company document (check warns about each one).
with sourced as (
    select 'segment_revenue' as table_name, source_kind from segment_revenue
    union all select 'kpi', source_kind from kpi
    union all select 'milestone', source_kind from milestone
    union all select 'leaderboard', source_kind from leaderboard
    union all select 'earnings_release', source_kind from earnings_release
),

per_table as (
    select
        table_name,
        count(*) as source_rows,
        count(*) filter (where source_kind in ('filing', 'company')) as primary_rows,
        count(*) filter (where source_kind = 'copy') as copy_rows
    from sourced
    group by table_name
),

final as (
    select
        table_name,
        source_rows,
        primary_rows,
        copy_rows,
        round(100 * primary_rows / source_rows, 1) as primary_share_pct
    from per_table
)

select * from final
order by table_name
