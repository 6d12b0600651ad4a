-- One category's value per period for one reporter, partner, flow and frequency, for checking goods claims.
-- Codes match category_hs exactly (no prefix matching). Per (period, code) ONE source is used: 'comtrade' first,
-- else the most recently retrieved; sources are never added together. NULL values stay NULL (not reported).
WITH ranked AS (
    SELECT t.period, t.hs_code, t.value_usd, t.net_weight_kg, t.source,
           ROW_NUMBER() OVER (
               PARTITION BY t.period, t.hs_code
               ORDER BY CASE WHEN t.source = 'comtrade' THEN 0 ELSE 1 END, t.retrieved_at DESC, t.source
           ) AS pick
    FROM trade_flow t
    JOIN category_hs c ON c.hs_code = t.hs_code
    WHERE c.category = :category
      AND t.reporter_code = :reporter
      AND t.partner_code = :partner
      AND t.flow = :flow
      AND t.freq = :freq
)
SELECT period,
       SUM(value_usd) AS value_usd,
       SUM(net_weight_kg) AS net_weight_kg,
       COUNT(*) AS codes,
       COUNT(value_usd) AS values_reported,
       COUNT(net_weight_kg) AS weights_reported,
       MIN(source) AS source,
       MAX(source) AS source_other
FROM ranked
WHERE pick = 1
GROUP BY period
ORDER BY period
