-- Per HS-6 code of one category and per year: the value summed over the year's periods (one source per key).
-- The codes listed are the category's own 6-digit codes, their HS 2017 predecessors (before 2022 only),
-- and for a 4-digit heading category the 6-digit codes under it that Chokepoint knows (listed, never summed
-- into the category). `periods` says how many periods (months, or 1 for a year) carry a value.
WITH cat AS (
    SELECT hs_code FROM category_hs WHERE category = :category
),
codes AS (
    SELECT h.code AS hs_code, h.description, 0 AS predecessor
    FROM hs_code h
    WHERE h.level = 6 AND h.code NOT IN (SELECT old_code FROM hs_concordance)
      AND (h.code IN (SELECT hs_code FROM cat) OR SUBSTR(h.code, 1, 4) IN (SELECT hs_code FROM cat))
    UNION
    SELECT c.old_code AS hs_code, COALESCE(h.description, c.note) AS description, 1 AS predecessor
    FROM hs_concordance c LEFT JOIN hs_code h ON h.code = c.old_code
    WHERE c.new_code IN (SELECT hs_code FROM cat)
       OR SUBSTR(c.new_code, 1, 4) IN (SELECT hs_code FROM cat)
),
picked AS (
    SELECT t.hs_code, t.period, t.value_usd, t.source, t.retrieved_at,
           ROW_NUMBER() OVER (
               PARTITION BY t.hs_code, t.period
               ORDER BY CASE WHEN t.source = 'comtrade' THEN 0 ELSE 1 END, t.retrieved_at DESC, t.source,
                        t.classification DESC) AS pick
    FROM trade_flow t
    WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
      AND t.hs_code IN (SELECT hs_code FROM codes)
      AND t.period >= :period_from AND t.period <= :period_to
)
SELECT c.hs_code, c.description, c.predecessor, SUBSTR(p.period, 1, 4) AS year,
       SUM(p.value_usd) AS value_usd, COUNT(p.value_usd) AS periods,
       CASE WHEN MIN(p.source) = MAX(p.source) THEN MIN(p.source)
            ELSE MIN(p.source) || ' + ' || MAX(p.source) END AS source,
       MAX(p.retrieved_at) AS retrieved_at
FROM codes c
JOIN picked p ON p.hs_code = c.hs_code AND p.pick = 1 AND (c.predecessor = 0 OR p.period < '2022')
GROUP BY c.hs_code, c.description, c.predecessor, SUBSTR(p.period, 1, 4)
ORDER BY c.hs_code, year
