-- Every table of the store. The store is derived: `python -m aiwatch build`
-- creates it from data/*.csv; nobody edits it by hand.

create table indicator (
    indicator   varchar primary key,   -- mai_progress | consumer_ai | api_adoption | openai_dependence
    name        varchar not null,
    question    varchar not null,
    sort_order  integer not null
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
