-- Per source: runs, failures, the last run and its outcome, and the last successful finish.
SELECT r.source, COUNT(*) AS runs,
       SUM(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END) AS failures,
       MAX(r.started_at) AS last_started,
       MAX(CASE WHEN r.status = 'ok' THEN r.finished_at END) AS last_ok,
       (SELECT l.status FROM etl_run l WHERE l.source = r.source ORDER BY l.id DESC LIMIT 1) AS last_status,
       SUM(r.rows_inserted) AS rows_inserted, SUM(r.rows_updated) AS rows_updated,
       SUM(r.rows_rejected) AS rows_rejected
FROM etl_run r
GROUP BY r.source
ORDER BY MAX(r.started_at) DESC
