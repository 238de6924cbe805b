-- The previous build's facts under the store's table names, for re-running a query file on them
-- (aiwatch/feed.py: the scorecard before this build). Runs in a scratch in-memory database where
-- the live store is attached read-only as `store`; every build copies the facts it replaced into
-- prev_* (store.py, PREVIOUS_FACT_TABLES). Rules, stages and the catalog are the current build's.
create view segment_revenue as select * from store.main.prev_segment_revenue;
create view kpi as select * from store.main.prev_kpi;
create view milestone as select * from store.main.prev_milestone;
create view leaderboard as select * from store.main.prev_leaderboard;
create view indicator as select * from store.main.indicator;
create view kpi_catalog as select * from store.main.kpi_catalog;
create view indicator_rule as select * from store.main.indicator_rule;
create view milestone_stage as select * from store.main.milestone_stage;
create view ticker as select * from store.main.ticker;
create view thesis as select * from store.main.thesis;
