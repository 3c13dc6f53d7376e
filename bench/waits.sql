-- What PostgreSQL's client backends are doing, sampled every 10 ms for about 12 s
-- (1,000 samples): run it beside a bench run, e.g.
--   psql postgres://postgres@127.0.0.1:15432/store -f bench/waits.sql
-- "CPU" is a backend on CPU; "Lock" rows are waits on row or transaction locks
-- (contention); "IO WALSync" and "LWLock WALWrite" are waits for commits to reach disk.
-- avg_backends: how many backends were in that state on average.
CREATE TEMP TABLE samples (kind text, event text);
DO $$
BEGIN
  FOR i IN 1..1000 LOOP
    PERFORM pg_stat_clear_snapshot();
    INSERT INTO samples
      SELECT coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '-')
        FROM pg_stat_activity
       WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid();
    PERFORM pg_sleep(0.01);
  END LOOP;
END $$;
SELECT kind, event, count(*) AS samples, round(count(*)::numeric / 1000, 2) AS avg_backends
  FROM samples GROUP BY 1, 2 ORDER BY 3 DESC;
