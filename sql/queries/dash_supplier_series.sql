-- CHPL goods exported to one partner (Russia) by each supplier, per period, as each supplier reports them.
-- The category bind is one CHPL tier, or NULL for every tier. Exact codes; HS 2017 predecessors before 2022.
-- One source per key: comtrade preferred, else the most recently retrieved.
WITH codes AS (
    SELECT DISTINCT ch.hs_code, 0 AS predecessor
    FROM category_hs ch JOIN category k ON k.name = ch.category
    WHERE k.kind = 'chpl_tier'
      AND (CAST(:category AS VARCHAR(50)) IS NULL OR ch.category = CAST(:category AS VARCHAR(50)))
    UNION
    SELECT DISTINCT c.old_code AS hs_code, 1 AS predecessor
    FROM category_hs ch JOIN category k ON k.name = ch.category
    JOIN hs_concordance c ON c.new_code = ch.hs_code
    WHERE k.kind = 'chpl_tier'
      AND (CAST(:category AS VARCHAR(50)) IS NULL OR ch.category = CAST(:category AS VARCHAR(50)))
),
picked AS (
    SELECT t.reporter_code, t.hs_code, t.period, t.value_usd, t.source, t.retrieved_at,
           ROW_NUMBER() OVER (
               PARTITION BY t.reporter_code, t.hs_code, t.period
               ORDER BY CASE WHEN t.source = 'comtrade' THEN 0 ELSE 1 END, t.retrieved_at DESC, t.source,
                        t.classification DESC) AS pick
    FROM trade_flow t
    WHERE t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
      AND t.hs_code IN (SELECT hs_code FROM codes)
      AND t.period >= :period_from AND t.period <= :period_to
)
SELECT p.reporter_code, r.name AS reporter, p.period,
       SUM(p.value_usd) AS value_usd, COUNT(p.value_usd) AS codes_reported,
       CASE WHEN MIN(p.source) = MAX(p.source) THEN MIN(p.source)
            ELSE MIN(p.source) || ' + ' || MAX(p.source) END AS source,
       MAX(p.retrieved_at) AS retrieved_at
FROM picked p
JOIN codes c ON c.hs_code = p.hs_code AND (c.predecessor = 0 OR p.period < '2022')
LEFT JOIN country r ON r.code = p.reporter_code
WHERE p.pick = 1 AND p.reporter_code <> :partner
GROUP BY p.reporter_code, r.name, p.period
ORDER BY p.reporter_code, p.period
