-- One row: when the store was built and the newest publication date it holds.
-- Params: none
with final as (
    select built_at, data_dir, latest_reported
    from build_info
)

select * from final
