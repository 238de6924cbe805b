-- One row per thesis the dashboard keeps current (data/thesis.csv): the question and two sentences.
-- Params: none
with final as (
    select thesis, statement
    from thesis
)

select * from final
order by thesis
