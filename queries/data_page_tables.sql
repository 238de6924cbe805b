-- One row per table in the store: its name and how many columns it has.
-- Params: none
-- The Data page lists these (bookkeeping tables left out, see aiwatch/admin.py).
with store_tables as (
    select table_name, column_count
    from duckdb_tables()
    where database_name = current_database()
      and schema_name = 'main'
      and not temporary
),

final as (
    select * from store_tables
    order by table_name
)

select * from final
