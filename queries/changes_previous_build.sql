-- One row: this store's build time and the build it replaced (outcome first | ok | unreadable).
-- Params: none
with final as (
    select
        b.built_at,
        p.built_at as previous_built_at,
        p.outcome as previous_outcome
    from build_info as b
    cross join prev_build as p
)

select * from final
