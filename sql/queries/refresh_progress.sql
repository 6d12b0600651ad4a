-- The UN Comtrade refresh's progress for the dashboard: no row if no refresh ever ran, else the latest one.
SELECT status, calls_done, calls_planned, rows_written, retries, started_at, updated_at, message
FROM refresh_state
WHERE id = 1
