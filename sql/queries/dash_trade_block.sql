-- One block of the Data page's grid in the selection's own order (no column sort or filter): rows
-- offset .. offset + limit - 1 of the selection in code, period, source, classification order (offset 0 with the
-- page's cap: the whole capped selection, as its CSV holds it). The page keeps offset + limit within the 5,000-row
-- cap, so a block reads at most that many rows whatever the size of the table; names are joined to the block's rows.
-- The selection is two arms, of which the category bind enables one: every code when it is NULL, else the category's
-- codes (plus, for CHPL tiers, their HS 2017 predecessors before 2022). Each arm reads the pair's index in code order,
-- by a range or by one seek per code, so the first rows come without a sort and a category reads only its codes.
SELECT b.reporter_code, r.name AS reporter, b.partner_code, p.name AS partner,
       b.flow, b.freq, b.period, b.classification, b.hs_code, h.description AS hs_description,
       b.value_usd, b.net_weight_kg, b.qty, b.qty_unit, b.source, b.source_ref, b.retrieved_at
FROM (SELECT t.reporter_code, t.partner_code, t.flow, t.freq, t.period, t.classification, t.hs_code,
             t.value_usd, t.net_weight_kg, t.qty, t.qty_unit, t.source, t.source_ref, t.retrieved_at
      FROM trade_flow t
      WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
        AND t.period >= :period_from AND t.period <= :period_to AND CAST(:category AS VARCHAR(50)) IS NULL
      UNION ALL
      SELECT t.reporter_code, t.partner_code, t.flow, t.freq, t.period, t.classification, t.hs_code,
             t.value_usd, t.net_weight_kg, t.qty, t.qty_unit, t.source, t.source_ref, t.retrieved_at
      FROM trade_flow t
      WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
        AND t.period >= :period_from AND t.period <= :period_to
        AND t.hs_code IN (SELECT ch.hs_code FROM category_hs ch WHERE ch.category = CAST(:category AS VARCHAR(50))
                          UNION
                          SELECT c.old_code FROM hs_concordance c JOIN category_hs ch ON ch.hs_code = c.new_code
                          JOIN category k ON k.name = ch.category
                          WHERE k.kind = 'chpl_tier' AND ch.category = CAST(:category AS VARCHAR(50)))
        AND (t.period < '2022'
             OR t.hs_code IN (SELECT ch.hs_code FROM category_hs ch WHERE ch.category = CAST(:category AS VARCHAR(50))))
      ORDER BY hs_code, period, source, classification
      LIMIT :limit OFFSET COALESCE(CAST(:offset AS INTEGER), 0)) b
LEFT JOIN country r ON r.code = b.reporter_code
LEFT JOIN country p ON p.code = b.partner_code
LEFT JOIN hs_code h ON h.code = b.hs_code
ORDER BY b.hs_code, b.period, b.source, b.classification
