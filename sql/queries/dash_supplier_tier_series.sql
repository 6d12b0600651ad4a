-- CHPL goods exported to one partner (Russia) by each supplier, as each supplier reports them, per period: one row
-- per supplier, CHPL tier and period, plus one row per supplier and period over every tier (category NULL), where a
-- code is counted once even if it were listed under two tiers. Exact codes; HS 2017 predecessors before 2022.
-- One source per key: comtrade preferred, else the most recently retrieved.
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
    -- codes drive the loop: one index range per code (partner, flow, freq, hs_code, period), never a scan.
    SELECT c.category, t.reporter_code, t.hs_code, t.period, t.value_usd, t.source, t.retrieved_at,
           ROW_NUMBER() OVER (
               PARTITION BY c.category, t.reporter_code, t.hs_code, t.period
               ORDER BY CASE WHEN t.source = 'comtrade' THEN 0 ELSE 1 END, t.retrieved_at DESC, t.source,
                        t.classification DESC) AS pick
    FROM codes c
    JOIN trade_flow t ON t.hs_code = c.hs_code
    WHERE t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
      AND t.period >= :period_from AND t.period <= :period_to
      AND (c.predecessor = 0 OR t.period < '2022')
      AND t.reporter_code <> :partner
),
chosen AS (
    SELECT category, reporter_code, hs_code, period, value_usd, source, retrieved_at FROM picked WHERE pick = 1
),
per_code AS (
    SELECT DISTINCT reporter_code, hs_code, period, value_usd, source, retrieved_at FROM chosen
)
SELECT g.reporter_code, r.name AS reporter, g.category, k.label, g.period, g.value_usd, g.codes_reported,
       g.source, g.retrieved_at
FROM (
    SELECT reporter_code, category, period, SUM(value_usd) AS value_usd, COUNT(value_usd) AS codes_reported,
           CASE WHEN MIN(source) = MAX(source) THEN MIN(source) ELSE MIN(source) || ' + ' || MAX(source) END AS source,
           MAX(retrieved_at) AS retrieved_at
    FROM chosen
    GROUP BY reporter_code, category, period
    UNION ALL
    SELECT reporter_code, NULL AS category, period, SUM(value_usd) AS value_usd, COUNT(value_usd) AS codes_reported,
           CASE WHEN MIN(source) = MAX(source) THEN MIN(source) ELSE MIN(source) || ' + ' || MAX(source) END AS source,
           MAX(retrieved_at) AS retrieved_at
    FROM per_code
    GROUP BY reporter_code, period
) g
LEFT JOIN country r ON r.code = g.reporter_code
LEFT JOIN category k ON k.name = g.category
ORDER BY g.reporter_code, g.category, g.period
