-- One row: the last trading day with a stored price of the subject ticker (or of any ticker) by $as_of.
-- Params: $as_of
with subject as (
    select max(p.date) as last_date
    from price as p
    inner join ticker as t using (ticker)
    where t.role = 'subject' and p.date <= $as_of
),

any_ticker as (
    select max(date) as last_date
    from price
    where date <= $as_of
),

final as (
    select coalesce(s.last_date, a.last_date) as last_date, s.last_date is not null as is_subject
    from subject as s, any_ticker as a
)

select * from final
