-- One value per category of a kind (dual_use | chpl_tier | energy) and period, for one reporter, partner, flow.
-- A category sums exactly its codes in category_hs (a heading and its subheadings are never both added);
-- a CHPL tier also sums the HS 2017 predecessors of its codes (hs_concordance) for periods before 2022.
-- One source per key: comtrade preferred, else the most recently retrieved.
WITH codes AS (
    SELECT ch.category, ch.hs_code, 0 AS predecessor
    FROM category_hs ch JOIN category k ON k.name = ch.category
    WHERE k.kind = :kind
      AND (CAST(:category AS VARCHAR(50)) IS NULL OR ch.category = CAST(:category AS VARCHAR(50)))
    UNION
    SELECT ch.category, c.old_code AS hs_code, 1 AS predecessor
    FROM category_hs ch JOIN category k ON k.name = ch.category
    JOIN hs_concordance c ON c.new_code = ch.hs_code
    WHERE k.kind = :kind AND k.kind = 'chpl_tier'
      AND (CAST(:category AS VARCHAR(50)) IS NULL OR ch.category = CAST(:category AS VARCHAR(50)))
),
picked AS (
    -- codes drive the loop: one index range per code (the lookup index), never a scan of the pair's rows.
    SELECT c.category, c.predecessor, t.period, t.value_usd, t.net_weight_kg, t.source, t.retrieved_at,
           ROW_NUMBER() OVER (
               PARTITION BY c.category, t.hs_code, t.period
               ORDER BY CASE WHEN t.source = 'comtrade' THEN 0 ELSE 1 END, t.retrieved_at DESC, t.source,
                        t.classification DESC) AS pick
    FROM codes c
    JOIN trade_flow t ON t.hs_code = c.hs_code
    WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
      AND t.period >= :period_from AND t.period <= :period_to
      AND (c.predecessor = 0 OR t.period < '2022')
)
SELECT p.category, k.label, p.period,
       SUM(p.value_usd) AS value_usd,
       SUM(p.net_weight_kg) AS net_weight_kg,
       SUM(CASE WHEN p.net_weight_kg IS NOT NULL THEN p.value_usd END) AS value_with_weight_usd,
       COUNT(p.value_usd) AS codes_reported,
       MAX(p.predecessor) AS uses_predecessors,
       CASE WHEN MIN(p.source) = MAX(p.source) THEN MIN(p.source)
            ELSE MIN(p.source) || ' + ' || MAX(p.source) END AS source,
       MAX(p.retrieved_at) AS retrieved_at
FROM picked p
JOIN category k ON k.name = p.category
WHERE p.pick = 1
GROUP BY p.category, k.label, p.period
ORDER BY p.category, p.period
