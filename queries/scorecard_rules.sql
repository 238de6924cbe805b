-- One row per scorecard rule (data/indicator_rule.csv), evaluated on what had been published by $as_of.
-- Params: $as_of
-- status: 'on track' / 'mixed' / 'lagging' from the rule's own thresholds, or 'unknown' with the
-- reason when an input is not in the store as of that date. Nothing is estimated or carried over.
-- Each metric has one CTE; every CTE returns the same columns: rule_id, value, value_text, reason,
-- and up to two inputs (input_a / input_b: what was read, when it was published, its source and
-- the kind of that source, input_*_source_kind: filing | company | press | measurement | copy).
-- indicator_status combines an indicator's rules: all known rules agree -> that status; they
-- disagree -> 'mixed'; none known -> 'unknown'.
with params as (
    select
        $as_of::date as as_of,
        least($as_of::date, current_date) as ref_date   -- "today" when no as-of date is chosen
),

rules as (
    select r.*, i.name as indicator_name, i.question, i.sort_order as indicator_order
    from indicator_rule as r
    inner join indicator as i using (indicator)
),

-- milestones on a stage track, as known on the as-of date
tagged as (
    select s.track, s.stage, s.stage_order, m.id, m.title, m.date, m.date_precision,
           m.known_at::date as known_at, m.source_url, m.source_kind
    from milestone_stage as s
    inner join milestone_known as m on m.id = s.milestone_id
    cross join params as p
    where m.known_at <= p.as_of
),

-- days_since_stage: days from the latest milestone of stage `versus` on track `subject`
days_since as (
    select
        r.rule_id,
        date_diff('day', t.known_at, p.ref_date)::double as value,
        num_text(date_diff('day', t.known_at, p.ref_date)) || ' days (to '
            || strftime(p.ref_date, '%Y-%m-%d') || ')' as value_text,
        case when t.id is null then
            'No milestone of stage "' || r.versus || '" on the ' || r.subject
            || ' track had been published by ' || strftime(p.ref_date, '%Y-%m-%d') || '.'
        end as reason,
        t.title || ' (' || date_label(t.date, t.date_precision) || ')' as input_a,
        t.known_at as input_a_date,
        t.source_url as input_a_source,
        t.source_kind as input_a_source_kind,
        null::varchar as input_b,
        null::date as input_b_date,
        null::varchar as input_b_source,
        null::varchar as input_b_source_kind
    from rules as r
    cross join params as p
    left join tagged as t on t.track = r.subject and t.stage = r.versus
    where r.metric = 'days_since_stage'
    qualify row_number() over (partition by r.rule_id order by t.known_at desc nulls last, t.id) = 1
),

-- leaderboard_rank_gap: on every board, the subject vendor's latest standing against the best
-- standing of another vendor (or of the vendors listed in `versus`) observed within window_days
standings as (
    select l.*
    from leaderboard as l
    cross join params as p
    where l.observed_at <= p.as_of and l.rank is not null
),

subject_latest as (
    select r.rule_id, r.window_days, r.versus, r.subject, s.*
    from rules as r
    inner join standings as s on s.vendor = r.subject
    where r.metric = 'leaderboard_rank_gap'
    qualify row_number() over (partition by r.rule_id, s.board
                               order by s.observed_at desc, s.rank, s.model) = 1
),

board_pairs as (
    select
        s.rule_id,
        s.board,
        s.model, s.rank, s.observed_at, s.source_url, s.source_kind, s.note,
        o.model as rival_model, o.vendor as rival_vendor, o.rank as rival_rank,
        o.observed_at as rival_observed_at, o.source_url as rival_source_url,
        o.source_kind as rival_source_kind, o.note as rival_note
    from subject_latest as s
    left join standings as o
        on o.board = s.board
        and o.vendor <> s.subject
        and (coalesce(s.versus, '') = ''
             or list_contains(list_transform(string_split(s.versus, ';'), lambda v: trim(v)), o.vendor))
        and abs(date_diff('day', o.observed_at, s.observed_at)) <= s.window_days
    qualify row_number() over (
        partition by s.rule_id, s.board
        order by o.rank nulls last, abs(date_diff('day', o.observed_at, s.observed_at)), o.model) = 1
),

rank_gap as (
    select
        r.rule_id,
        (b.rank - b.rival_rank)::double as value,
        case
            when b.rank > b.rival_rank then
                num_text(b.rank - b.rival_rank) || ' places behind ' || b.rival_vendor || ' on ' || b.board
            when b.rank = b.rival_rank then 'level with ' || b.rival_vendor || ' on ' || b.board
            when b.rank < b.rival_rank then
                num_text(b.rival_rank - b.rank) || ' places ahead of ' || b.rival_vendor || ' on ' || b.board
        end as value_text,
        case
            when b.rule_id is null then
                'No ' || r.subject || ' model standing on any leaderboard had been published by '
                || strftime(p.ref_date, '%Y-%m-%d') || '.'
            when b.rival_rank is null then
                'No other vendor''s standing on ' || b.board || ' within ' || r.window_days::varchar
                || ' days of ' || strftime(b.observed_at, '%Y-%m-%d')
                || ' is in the store, so the gap is not known.'
        end as reason,
        b.model || ' #' || b.rank::varchar || ' on ' || b.board
            || coalesce(' (' || b.note || ')', '') as input_a,
        b.observed_at as input_a_date,
        b.source_url as input_a_source,
        b.source_kind as input_a_source_kind,
        b.rival_model || ' (' || b.rival_vendor || ') #' || b.rival_rank::varchar || ' on ' || b.board
            as input_b,
        b.rival_observed_at as input_b_date,
        b.rival_source_url as input_b_source,
        b.rival_source_kind as input_b_source_kind
    from rules as r
    cross join params as p
    left join board_pairs as b using (rule_id)
    where r.metric = 'leaderboard_rank_gap'
    qualify row_number() over (
        partition by r.rule_id
        order by (b.rival_rank is null), b.rank - b.rival_rank, b.observed_at desc, b.board) = 1
),

-- segment_growth_gap: latest quarter's YoY growth of segment `subject` minus that of `versus`,
-- each against the prior-year quarter on the same segment definitions (recast preferred),
-- as queries/segment_revenue_quarterly.sql computes it
boundary as (
    select coalesce(max(period_end), date '1900-01-01') as last_recast_end
    from segment_revenue
    where basis = 'recast' and fiscal_quarter <> 'FY'
),

seg_known as (
    select
        q.*,
        (q.basis = 'recast' or q.period_end > b.last_recast_end) as current_definitions
    from segment_revenue as q
    cross join boundary as b
    cross join params as p
    where q.fiscal_quarter <> 'FY' and q.reported_at <= p.as_of
),

seg_growth as (
    select
        s.segment, s.fiscal_year, s.fiscal_quarter, s.period_end, s.revenue_usd_m, s.reported_at,
        s.source_url, s.source_kind,
        arg_min(pr.revenue_usd_m, case pr.basis when 'recast' then 0 else 1 end) as prior_usd_m,
        arg_min(pr.basis, case pr.basis when 'recast' then 0 else 1 end) as prior_basis
    from seg_known as s
    inner join seg_known as pr
        on pr.segment = s.segment
        and pr.fiscal_quarter = s.fiscal_quarter
        and pr.fiscal_year = s.fiscal_year - 1
        and pr.current_definitions = s.current_definitions
    where s.basis = 'as_reported'
    group by all
),

seg_pairs as (
    select
        r.rule_id,
        a.period_end,
        round(100 * (a.revenue_usd_m / a.prior_usd_m - 1), 1) as growth_a,
        round(100 * (b.revenue_usd_m / b.prior_usd_m - 1), 1) as growth_b,
        a.segment || ' ' || fiscal_label(a.period_end) || ': $' || num_text(round(a.revenue_usd_m / 1000, 1))
            || 'bn, ' || value_text(round(100 * (a.revenue_usd_m / a.prior_usd_m - 1), 1), 'pct_yoy', null)
            || ' (prior year $' || num_text(round(a.prior_usd_m / 1000, 1)) || 'bn, ' || a.prior_basis || ')'
            as input_a,
        a.reported_at as input_a_date,
        a.source_url as input_a_source,
        a.source_kind as input_a_source_kind,
        b.segment || ' ' || fiscal_label(b.period_end) || ': $' || num_text(round(b.revenue_usd_m / 1000, 1))
            || 'bn, ' || value_text(round(100 * (b.revenue_usd_m / b.prior_usd_m - 1), 1), 'pct_yoy', null)
            || ' (prior year $' || num_text(round(b.prior_usd_m / 1000, 1)) || 'bn, ' || b.prior_basis || ')'
            as input_b,
        b.reported_at as input_b_date,
        b.source_url as input_b_source,
        b.source_kind as input_b_source_kind
    from rules as r
    inner join seg_growth as a on a.segment = r.subject
    inner join seg_growth as b on b.segment = r.versus and b.period_end = a.period_end
    where r.metric = 'segment_growth_gap'
    qualify row_number() over (partition by r.rule_id order by a.period_end desc) = 1
),

segment_gap as (
    select
        r.rule_id,
        round(s.growth_a - s.growth_b, 1) as value,
        num_text(round(s.growth_a - s.growth_b, 1)) || ' pts (' || fiscal_label(s.period_end) || ')'
            as value_text,
        case when s.rule_id is null then
            'No quarter with year-over-year growth for both ' || r.subject || ' and ' || r.versus
            || ' on the same segment definitions had been published by '
            || strftime(p.ref_date, '%Y-%m-%d') || '.'
        end as reason,
        s.input_a, s.input_a_date, s.input_a_source, s.input_a_source_kind,
        s.input_b, s.input_b_date, s.input_b_source, s.input_b_source_kind
    from rules as r
    cross join params as p
    left join seg_pairs as s using (rule_id)
    where r.metric = 'segment_growth_gap'
),

-- stage_reached: the furthest stage on track `subject` (first milestone that reached it)
track_length as (
    select track, max(stage_order) as stages from milestone_stage group by track
),

stage_reached as (
    select
        r.rule_id,
        t.stage_order::double as value,
        'stage ' || t.stage_order::varchar || ' of ' || l.stages::varchar || ': ' || t.stage as value_text,
        case when t.id is null then
            'No milestone on the ' || r.subject || ' track had been published by '
            || strftime(p.ref_date, '%Y-%m-%d') || '.'
        end as reason,
        t.title || ' (' || date_label(t.date, t.date_precision) || ')' as input_a,
        t.known_at as input_a_date,
        t.source_url as input_a_source,
        t.source_kind as input_a_source_kind,
        null::varchar as input_b,
        null::date as input_b_date,
        null::varchar as input_b_source,
        null::varchar as input_b_source_kind
    from rules as r
    cross join params as p
    left join tagged as t on t.track = r.subject
    left join track_length as l on l.track = r.subject
    where r.metric = 'stage_reached'
    qualify row_number() over (partition by r.rule_id order by t.stage_order desc nulls last, t.known_at) = 1
),

-- kpi_latest: the latest published value of KPI `subject` (as stated; the qualifier is shown)
kpi_known as (
    select k.*, c.label, c.unit
    from kpi as k
    inner join kpi_catalog as c using (kpi_id)
    cross join params as p
    where k.reported_at <= p.as_of
),

kpi_rule as (
    select
        r.rule_id,
        k.value,
        value_text(k.value, k.unit, k.qualifier) || ' (' || fiscal_label(k.period_end) || ')' as value_text,
        case when k.kpi_id is null then
            (select label from kpi_catalog where kpi_id = r.subject)
            || ': not disclosed (no figure published by ' || strftime(p.ref_date, '%Y-%m-%d') || ').'
        end as reason,
        k.label || ', ' || fiscal_label(k.period_end) || ': ' || value_text(k.value, k.unit, k.qualifier)
            as input_a,
        k.reported_at as input_a_date,
        k.source_url as input_a_source,
        k.source_kind as input_a_source_kind,
        null::varchar as input_b,
        null::date as input_b_date,
        null::varchar as input_b_source,
        null::varchar as input_b_source_kind
    from rules as r
    cross join params as p
    left join kpi_known as k on k.kpi_id = r.subject
    where r.metric = 'kpi_latest'
    qualify row_number() over (partition by r.rule_id order by k.period_end desc nulls last) = 1
),

evaluated as (
    select * from days_since
    union all by name select * from rank_gap
    union all by name select * from segment_gap
    union all by name select * from stage_reached
    union all by name select * from kpi_rule
),

-- thresholds in the rule's unit, for the rule text
units as (
    select
        r.rule_id,
        case r.metric
            when 'days_since_stage' then ' days'
            when 'leaderboard_rank_gap' then ' places'
            when 'segment_growth_gap' then ' pts'
            else ''
        end as suffix,
        c.unit as kpi_unit
    from rules as r
    left join kpi_catalog as c on r.metric = 'kpi_latest' and c.kpi_id = r.subject
),

judged as (
    select
        r.indicator,
        r.indicator_name,
        r.question,
        r.indicator_order,
        r.rule_id,
        r.sort_order,
        r.title,
        r.metric,
        r.subject,
        r.versus,
        r.window_days,
        r.comparison,
        r.on_track_threshold,
        r.lagging_threshold,
        case
            when e.value is null then 'unknown'
            when r.comparison = 'higher_is_better' and e.value >= r.on_track_threshold then 'on track'
            when r.comparison = 'higher_is_better' and e.value < r.lagging_threshold then 'lagging'
            when r.comparison = 'lower_is_better' and e.value <= r.on_track_threshold then 'on track'
            when r.comparison = 'lower_is_better' and e.value > r.lagging_threshold then 'lagging'
            else 'mixed'
        end as status,
        e.value,
        e.value_text,
        e.reason,
        case r.comparison
            when 'higher_is_better' then
                'On track at ' || coalesce(value_text(r.on_track_threshold, u.kpi_unit, null),
                                          num_text(r.on_track_threshold) || u.suffix)
                || ' or more; lagging below '
                || coalesce(value_text(r.lagging_threshold, u.kpi_unit, null),
                            num_text(r.lagging_threshold) || u.suffix)
                || '; mixed in between.'
            else
                'On track at ' || coalesce(value_text(r.on_track_threshold, u.kpi_unit, null),
                                          num_text(r.on_track_threshold) || u.suffix)
                || ' or less; lagging above '
                || coalesce(value_text(r.lagging_threshold, u.kpi_unit, null),
                            num_text(r.lagging_threshold) || u.suffix)
                || '; mixed in between.'
        end as rule_text,
        r.explanation,
        e.input_a, e.input_a_date, e.input_a_source, e.input_a_source_kind,
        e.input_b, e.input_b_date, e.input_b_source, e.input_b_source_kind
    from rules as r
    inner join evaluated as e using (rule_id)
    inner join units as u using (rule_id)
),

final as (
    select
        j.*,
        case
            when count(*) filter (where j.status <> 'unknown') over w = 0 then 'unknown'
            when min(j.status) filter (where j.status <> 'unknown') over w
                 = max(j.status) filter (where j.status <> 'unknown') over w
                then min(j.status) filter (where j.status <> 'unknown') over w
            else 'mixed'
        end as indicator_status
    from judged as j
    window w as (partition by j.indicator)
)

select * from final
order by indicator_order, sort_order, rule_id
