-- The most recent ETL runs, newest first.
SELECT id, source, started_at, finished_at, status, rows_inserted, rows_updated, rows_rejected, message
FROM etl_run
ORDER BY id DESC
LIMIT :limit
