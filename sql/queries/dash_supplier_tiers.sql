-- CHPL goods exported to one partner by each supplier and tier, summed over a period range (e.g. one year).
-- Exact codes per tier; HS 2017 predecessors before 2022. One source per key.
WITH codes AS (
    SELECT ch.category, ch.hs_code, 0 AS predecessor
    FROM category_hs ch JOIN category k ON k.name = ch.category
    WHERE k.kind = 'chpl_tier'
    UNION
    SELECT ch.category, c.old_code AS hs_code, 1 AS predecessor
    FROM category_hs ch JOIN category k ON k.name = ch.category
    JOIN hs_concordance c ON c.new_code = ch.hs_code
    WHERE k.kind = 'chpl_tier'
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
SELECT p.reporter_code, r.name AS reporter, c.category, k.label,
       SUM(p.value_usd) AS value_usd, COUNT(p.value_usd) AS periods_reported,
       CASE WHEN MIN(p.source) = MAX(p.source) THEN MIN(p.source)
            ELSE MIN(p.source) || ' + ' || MAX(p.source) END AS source,
       MAX(p.retrieved_at) AS retrieved_at
FROM picked p
JOIN codes c ON c.hs_code = p.hs_code AND (c.predecessor = 0 OR p.period < '2022')
JOIN category k ON k.name = c.category
LEFT JOIN country r ON r.code = p.reporter_code
WHERE p.pick = 1 AND p.reporter_code <> :partner
GROUP BY p.reporter_code, r.name, c.category, k.label
ORDER BY p.reporter_code, c.category
