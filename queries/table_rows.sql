-- One row per row of the store table named $table_name, every column (the Data page's downloads).
-- Params: $table_name
-- query_table() looks the name up as an identifier: the value is bound, never pasted into SQL,
-- and an unknown name is an error. The page only passes names listed by data_page_tables.sql.
with final as (
    select * from query_table($table_name)
)

select * from final
order by all
