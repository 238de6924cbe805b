-- Every table of the store. The store is derived: `python -m aiwatch build`
-- creates it from data/*.csv; nobody edits it by hand.

create table indicator (
    indicator   varchar primary key,   -- an opaque key; pages show name and question
    name        varchar not null,
    question    varchar not null,
    sort_order  integer not null,
    url_path    varchar not null unique, -- the page's URL path (/mai_progress)
    icon        varchar                 -- a Material icon for the navigation, e.g. :material/api:
);

-- Which sections each page shows (data/page_section.csv; kinds in aiwatch/layout.py).
create table page_section (
    page        varchar not null,   -- an indicator id, or overview | financials
    sort_order  integer not null,   -- top to bottom
    beside      boolean,            -- true: in a column beside the section before it
    kind        varchar not null,
    refs        varchar,            -- type:value items separated by |
    title       varchar,
    caption     varchar,
    options     varchar,            -- name=value pairs separated by ;
    primary key (page, sort_order)
);

create table ticker (
    ticker      varchar primary key,
    name        varchar not null,
    role        varchar not null check (role in ('subject', 'peer', 'index')),
    source_url  varchar not null
);

create table segment_revenue (
    fiscal_year     integer not null,
    fiscal_quarter  varchar not null check (fiscal_quarter in ('Q1', 'Q2', 'Q3', 'Q4', 'FY')),
    period_end      date not null,
    basis           varchar not null check (basis in ('as_reported', 'recast')),
    segment         varchar not null,
    revenue_usd_m   double not null,
    reported_at     date not null,
    source_url      varchar not null,
    primary key (fiscal_year, fiscal_quarter, basis, segment)
);

create table kpi_catalog (
    kpi_id            varchar primary key,
    label             varchar not null,
    indicator         varchar not null references indicator (indicator),
    unit              varchar not null,
    higher_is_better  boolean not null,
    description       varchar not null
);

create table kpi (
    kpi_id       varchar not null references kpi_catalog (kpi_id),
    period_end   date not null,
    value        double not null,
    qualifier    varchar,             -- e.g. 'more than', 'surpassed', 'guidance'
    reported_at  date not null,
    source_url   varchar not null,
    note         varchar,
    primary key (kpi_id, period_end)
);

create table milestone (
    id              varchar primary key,
    date            date not null,    -- first day of the period when precision is month / year
    date_precision  varchar not null check (date_precision in ('day', 'month', 'quarter', 'year')),
    indicator       varchar not null references indicator (indicator),
    category        varchar not null,
    title           varchar not null,
    detail          varchar not null,
    source_url      varchar not null
);

create table leaderboard (
    model        varchar not null,
    vendor       varchar not null,
    board        varchar not null,
    metric       varchar not null,
    value        double,              -- score; null when only a rank is known
    rank         integer,
    observed_at  date not null,
    source_url   varchar not null,
    note         varchar,
    primary key (model, board, metric, observed_at)
);

create table earnings_release (
    fiscal_year     integer not null,
    fiscal_quarter  varchar not null,
    period_end      date not null,
    release_date    date not null,
    source_url      varchar not null,
    primary key (fiscal_year, fiscal_quarter)
);

create table price (
    ticker      varchar not null,
    date        date not null,
    open        double,
    high        double,
    low         double,
    close       double not null,      -- as traded (or as the source adjusted it; see source)
    adj_close   double not null,      -- split- and dividend-adjusted: used for performance
    volume      double,
    source      varchar not null,     -- yfinance | yahoo_csv | alpaca_csv | plain_csv ...
    fetched_at  timestamp not null,
    primary key (ticker, date)
);

create table refresh_log (
    logged_at timestamp not null,
    action    varchar not null,       -- build | refresh | import-prices | upload | rollback
    outcome   varchar not null,       -- ok | failed | partial
    detail    varchar not null
);

create table build_info (
    built_at         timestamp not null,
    data_dir         varchar not null,
    latest_reported  date
);

-- A milestone is "known" only once its whole period has passed: a month-precision
-- date counts from the month's last day, so point-in-time views never show it early.
create view milestone_known as
select
    *,
    case date_precision
        when 'day' then date
        when 'month' then last_day(date)
        when 'quarter' then last_day(date + interval 2 month)
        else make_date(year(date), 12, 31)
    end as known_at
from milestone;

-- Fiscal-quarter label of a period end, e.g. 2024-12-31 -> 'FY25 Q2'.
-- Microsoft's fiscal year ends on June 30 (FY2025 Q1 = July-September 2024).
create macro fiscal_label(d) as
    'FY' || lpad(((year(d) + case when month(d) >= 7 then 1 else 0 end) % 100)::varchar, 2, '0')
    || ' Q' || ((((month(d) + 5) % 12) // 3) + 1)::varchar;

-- --- watch indicators: thesis, scorecard rules, milestone stages, what changed ---------------

create table thesis (
    thesis     varchar primary key,   -- the question the dashboard keeps current
    statement  varchar not null       -- the thesis in two sentences
);

-- Scorecard rules (data/indicator_rule.csv), evaluated by queries/scorecard_rules.sql.
create table indicator_rule (
    indicator           varchar not null references indicator (indicator),
    rule_id             varchar primary key,
    sort_order          integer not null,
    title               varchar not null,
    metric              varchar not null,  -- days_since_stage | leaderboard_rank_gap | segment_growth_gap | stage_reached | kpi_latest
    subject             varchar not null,  -- what is measured: a track, vendor, segment or kpi_id
    versus              varchar,           -- stage / comparator segment / rival vendors (';'-separated)
    window_days         integer,           -- leaderboard_rank_gap: max days between compared standings
    comparison          varchar not null check (comparison in ('higher_is_better', 'lower_is_better')),
    on_track_threshold  double not null,
    lagging_threshold   double not null,
    explanation         varchar not null
);

-- Milestones placed on a track of stages (data/milestone_stage.csv), e.g. the MAI API's path
-- reported (1) -> preview (2) -> available (3). The milestone carries the date and the source.
create table milestone_stage (
    milestone_id  varchar not null references milestone (id),
    track         varchar not null,
    stage         varchar not null,
    stage_order   integer not null,
    note          varchar,
    primary key (milestone_id, track)
);

-- What the store replaced by this build held: the build copies the previous live store's
-- facts here (store.py), so queries/changes_since_previous_build.sql can list what changed.
-- prev_build has one row: outcome 'first' (no previous store), 'ok', or 'unreadable'.
create table prev_build (
    built_at  timestamp,
    outcome   varchar not null check (outcome in ('first', 'ok', 'unreadable'))
);
create table prev_segment_revenue as select * from segment_revenue limit 0;
create table prev_kpi as select * from kpi limit 0;
create table prev_milestone as select * from milestone limit 0;
create table prev_leaderboard as select * from leaderboard limit 0;

-- The day a dated event counts as known (see milestone_known): the end of its period.
create macro known_at_of(d, precision) as
    case precision
        when 'day' then d
        when 'month' then last_day(d)
        when 'quarter' then last_day(d + interval 2 month)
        else make_date(year(d), 12, 31)
    end::date;

-- An event date as precisely as it is known: '2025-08-28', 'Nov 2023', 'Q4 2023', '2021'.
create macro date_label(d, precision) as
    case precision
        when 'day' then strftime(d, '%Y-%m-%d')
        when 'month' then strftime(d, '%b %Y')
        when 'quarter' then 'Q' || quarter(d)::varchar || ' ' || year(d)::varchar
        else year(d)::varchar
    end;

-- A KPI period: the fiscal quarter of a quarter end ('FY25 Q2'), else the day ('2025-05-19').
create macro period_label(d) as
    case when d = last_day(d) and month(d) in (3, 6, 9, 12) then fiscal_label(d)
         else strftime(d, '%Y-%m-%d') end;

-- A number without trailing zeros and with thousands separators: 60000 -> '60,000', 3.80 -> '3.8'.
create macro num_text(v) as rtrim(rtrim(format('{:,.3f}', v::double), '0'), '.');

-- A figure in its catalog unit (data/README.md), with the qualifier as stated ('more than' is
-- shown as 'over', which data/README.md says it also covers):
-- ('usd_bn', 'surpassed', 13) -> 'surpassed $13bn'; ('pct_yoy', null, -1.3) -> '-1.3% YoY'.
create macro value_text(v, unit, qualifier) as
    case when qualifier is null or qualifier = '' then ''
         when qualifier = 'more than' then 'over '
         else qualifier || ' ' end ||
    case unit
        when 'usd_bn' then (case when v < 0 then '-' else '' end) || '$' || num_text(abs(v)) || 'bn'
        when 'usd' then (case when v < 0 then '-' else '' end) || '$' || num_text(abs(v))
        when 'usd_per_hour' then '$' || num_text(v) || ' per hour'
        when 'pct_yoy' then (case when v > 0 then '+' else '' end) || num_text(v) || '% YoY'
        when 'pct_points' then num_text(v) || ' pts'
        when 'pct' then num_text(v) || '%'
        when 'million' then num_text(v) || 'M'
        when 'billion' then num_text(v) || 'B'
        when 'trillion_tokens' then num_text(v) || 'T tokens'
        when 'rank' then '#' || num_text(v)
        when 'x' then num_text(v) || 'x'
        when 'seconds' then num_text(v) || ' s'
        when 'tops' then num_text(v) || ' TOPS'
        when 'flag' then case when v = 1 then 'yes' else 'no' end
        else num_text(v)
    end;

-- A change between two figures of one unit, signed: ('usd_bn', 3) -> '+$3bn'; growth rates,
-- shares and points change in percentage points ('pct_yoy', -2) -> '-2 pts'; ranks in places.
create macro delta_text(d, unit) as
    case when d is null then null else
        (case when d > 0 then '+' when d < 0 then '-' else '' end) ||
        case unit
            when 'usd_bn' then '$' || num_text(abs(d)) || 'bn'
            when 'usd' then '$' || num_text(abs(d))
            when 'usd_per_hour' then '$' || num_text(abs(d)) || ' per hour'
            when 'pct_yoy' then num_text(abs(d)) || ' pts'
            when 'pct' then num_text(abs(d)) || ' pts'
            when 'pct_points' then num_text(abs(d)) || ' pts'
            when 'rank' then num_text(abs(d)) || ' places'
            when 'million' then num_text(abs(d)) || 'M'
            when 'billion' then num_text(abs(d)) || 'B'
            when 'trillion_tokens' then num_text(abs(d)) || 'T tokens'
            when 'x' then num_text(abs(d)) || 'x'
            when 'seconds' then num_text(abs(d)) || ' s'
            when 'tops' then num_text(abs(d)) || ' TOPS'
            else num_text(abs(d))
        end
    end;
