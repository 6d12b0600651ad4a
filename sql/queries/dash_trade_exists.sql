-- 1 when any trade row is loaded (from any source), else 0: tells an empty database from an empty selection.
SELECT CASE WHEN EXISTS (SELECT 1 FROM trade_flow) THEN 1 ELSE 0 END AS has_rows
