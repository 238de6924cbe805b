-- One row per KPI in the catalog: label, indicator, unit, direction, description (the API's kpi_catalog table).
-- Params: $kpi_ids, $indicators
-- The catalog is not dated, so as_of does not change it. Empty lists mean all.
with final as (
    select kpi_id, label, indicator, unit, higher_is_better, description
    from kpi_catalog
    where (len($kpi_ids::varchar[]) = 0 or list_contains($kpi_ids::varchar[], kpi_id))
      and (len($indicators::varchar[]) = 0 or list_contains($indicators::varchar[], indicator))
)

select * from final
order by indicator, kpi_id
