-- Trade rows with names and provenance, for CSV export. Every filter is optional (NULL = no filter).
SELECT t.reporter_code, r.name AS reporter, t.partner_code, p.name AS partner,
       t.flow, t.freq, t.period, t.classification, t.hs_code, h.description AS hs_description,
       t.value_usd, t.net_weight_kg, t.qty, t.qty_unit, t.source, t.source_ref, t.retrieved_at
FROM trade_flow t
LEFT JOIN country r ON r.code = t.reporter_code
LEFT JOIN country p ON p.code = t.partner_code
LEFT JOIN hs_code h ON h.code = t.hs_code
WHERE (CAST(:reporter AS INTEGER) IS NULL OR t.reporter_code = CAST(:reporter AS INTEGER))
  AND (CAST(:partner AS INTEGER) IS NULL OR t.partner_code = CAST(:partner AS INTEGER))
  AND (CAST(:flow AS VARCHAR(2)) IS NULL OR t.flow = CAST(:flow AS VARCHAR(2)))
  AND (CAST(:freq AS VARCHAR(1)) IS NULL OR t.freq = CAST(:freq AS VARCHAR(1)))
  AND (CAST(:hs AS VARCHAR(6)) IS NULL OR t.hs_code = CAST(:hs AS VARCHAR(6)))
  -- Bounds compare at the bound's precision: --to 2022 keeps 202212, --from 202106 keeps 202106 on.
  AND (CAST(:period_from AS VARCHAR(6)) IS NULL
       OR SUBSTR(t.period, 1, LENGTH(CAST(:period_from AS VARCHAR(6)))) >= CAST(:period_from AS VARCHAR(6)))
  AND (CAST(:period_to AS VARCHAR(6)) IS NULL
       OR SUBSTR(t.period, 1, LENGTH(CAST(:period_to AS VARCHAR(6)))) <= CAST(:period_to AS VARCHAR(6)))
  -- A category is its exact codes (a heading and its subheadings are never both counted), plus the HS 2017
  -- predecessors of its codes for the periods before 2022, as the dashboard's series use them.
  AND (CAST(:category AS VARCHAR(50)) IS NULL
       OR t.hs_code IN (SELECT c.hs_code FROM category_hs c WHERE c.category = CAST(:category AS VARCHAR(50)))
       OR (t.period < '2022' AND t.hs_code IN (
            SELECT k.old_code FROM hs_concordance k JOIN category_hs c ON c.hs_code = k.new_code
            WHERE c.category = CAST(:category AS VARCHAR(50)))))
ORDER BY t.reporter_code, t.partner_code, t.flow, t.freq, t.hs_code, t.period, t.source
