-- When each source last loaded successfully.
SELECT source, MAX(finished_at) AS last_ok
FROM etl_run
WHERE status = 'ok'
GROUP BY source
ORDER BY source
