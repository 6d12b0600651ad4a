-- How many rows the Data page's selection has, counted up to `limit` (the page asks for one more than its cap, to
-- know whether the selection was cut). Reads index entries only, at most `limit` of them.
-- The selection is two arms, of which the category bind enables one: every code when it is NULL, else the category's
-- codes (plus, for CHPL tiers, their HS 2017 predecessors before 2022). Each arm reads the pair's index in code order,
-- by a range or by one seek per code, so the first rows come without a sort and a category reads only its codes.
SELECT COUNT(*) AS n_rows
FROM (SELECT 1 AS one
      FROM trade_flow t
      WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
        AND t.period >= :period_from AND t.period <= :period_to AND CAST(:category AS VARCHAR(50)) IS NULL
      UNION ALL
      SELECT 1 AS one
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
      LIMIT :limit) capped
