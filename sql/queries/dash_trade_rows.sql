-- The Data page's selection: trade rows with names and provenance (the CSV export columns), every source.
-- The category bind keeps exactly its codes (plus, for CHPL tiers, HS 2017 predecessors before 2022); NULL = all.
-- At most `limit` rows; the page asks for one more than it shows to know whether the selection was cut.
SELECT t.reporter_code, r.name AS reporter, t.partner_code, p.name AS partner,
       t.flow, t.freq, t.period, t.classification, t.hs_code, h.description AS hs_description,
       t.value_usd, t.net_weight_kg, t.qty, t.qty_unit, t.source, t.source_ref, t.retrieved_at
FROM trade_flow t
LEFT JOIN country r ON r.code = t.reporter_code
LEFT JOIN country p ON p.code = t.partner_code
LEFT JOIN hs_code h ON h.code = t.hs_code
WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
  AND t.period >= :period_from AND t.period <= :period_to
  AND (CAST(:category AS VARCHAR(50)) IS NULL
       OR t.hs_code IN (SELECT ch.hs_code FROM category_hs ch WHERE ch.category = CAST(:category AS VARCHAR(50)))
       OR (t.period < '2022' AND t.hs_code IN (
            SELECT c.old_code FROM hs_concordance c JOIN category_hs ch ON ch.hs_code = c.new_code
            JOIN category k ON k.name = ch.category
            WHERE k.kind = 'chpl_tier' AND ch.category = CAST(:category AS VARCHAR(50)))))
ORDER BY t.hs_code, t.period, t.source, t.classification
LIMIT :limit
