-- Rows and freshness per source.
SELECT source, COUNT(*) AS rows, MIN(period) AS first_period, MAX(period) AS last_period,
       MAX(retrieved_at) AS last_retrieved
FROM trade_flow
GROUP BY source
ORDER BY source
