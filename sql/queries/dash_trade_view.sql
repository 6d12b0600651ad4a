-- One block of the Data page's grid sorted and filtered by its columns, within the selection: its first `cap` rows
-- in code, period, source, classification order (as dash_trade_block reads them), exactly the rows the grid holds.
-- Sorting and filtering happen over those rows only, so a block costs at most `cap` rows whatever the size of the
-- table; names and descriptions are joined to the block's rows only (a filter or sort on the description looks it
-- up for the rows it reads).
-- Binds sort1..sort3 name a column (the page maps the grid's sort model through an allow-list; NULL = no key) and
-- dir1..dir3 give its direction, 'asc' or 'desc'. Missing values come first ascending and last descending, as in
-- the grid. The selection's own order breaks ties, so blocks never overlap or skip a row.
-- Column filters: like_<column> is a lower-case LIKE pattern (backslash escapes); min_<measure> and max_<measure>
-- bound a measure inclusively; null_<measure> 1 keeps only missing values, 0 only reported ones. NULL = no filter.
-- fold 1 lower-cases the values a pattern is matched against; 0 when no pattern has a letter with a case (a code
-- or a period: the commonest column filters), where case cannot matter and lower-casing 5,000 values (by a Python
-- function on SQLite, for letters beyond ASCII) would cost about as much as the rest of the filter.
-- The selection is two arms, of which the category bind enables one: every code when it is NULL, else the category's
-- codes (plus, for CHPL tiers, their HS 2017 predecessors before 2022). Each arm reads the pair's index in code order,
-- by a range or by one seek per code, so its first rows come without a sort and a category reads only its codes;
-- each arm is capped on its own, so the two are appended rather than merged.
-- Every sort key is worked out once per row in `kept`, one column per key and direction (NULL where it does not
-- apply), and the ORDER BY names those columns only: written out in the ORDER BY, the keys' CASE expressions were
-- evaluated there again for every row, which cost about as much as reading the rows.
WITH selection AS (
    SELECT * FROM (
        SELECT t.reporter_code, t.partner_code, t.flow, t.freq, t.period, t.classification, t.hs_code,
               t.value_usd, t.net_weight_kg, t.qty, t.qty_unit, t.source, t.source_ref, t.retrieved_at
        FROM trade_flow t
        WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
          AND t.period >= :period_from AND t.period <= :period_to AND CAST(:category AS VARCHAR(50)) IS NULL
        ORDER BY hs_code, period, source, classification
        LIMIT COALESCE(CAST(:cap AS INTEGER), 5000)  -- no cap given: the Data page's, 5,000 rows
    ) every_code
    UNION ALL
    SELECT * FROM (
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
               OR t.hs_code IN (SELECT ch.hs_code FROM category_hs ch
                                WHERE ch.category = CAST(:category AS VARCHAR(50))))
        ORDER BY hs_code, period, source, classification
        LIMIT COALESCE(CAST(:cap AS INTEGER), 5000)
    ) category_codes
),
described AS (
    SELECT s.*,
           CASE WHEN CAST(:like_hs_description AS VARCHAR(200)) IS NOT NULL
                     OR 'hs_description' IN (CAST(:sort1 AS VARCHAR(20)), CAST(:sort2 AS VARCHAR(20)),
                                             CAST(:sort3 AS VARCHAR(20)))
                THEN (SELECT h.description FROM hs_code h WHERE h.code = s.hs_code) END AS described
    FROM selection s
),
kept AS (
    SELECT d.*,
           CASE WHEN CAST(:dir1 AS VARCHAR(4)) = 'asc' THEN
               CASE CAST(:sort1 AS VARCHAR(20)) WHEN 'period' THEN d.period WHEN 'classification' THEN d.classification
                    WHEN 'hs_code' THEN d.hs_code WHEN 'hs_description' THEN d.described WHEN 'qty_unit' THEN d.qty_unit
                    WHEN 'source' THEN d.source WHEN 'source_ref' THEN d.source_ref
                    WHEN 'retrieved_at' THEN d.retrieved_at END END AS text1_asc,
           CASE WHEN CAST(:dir1 AS VARCHAR(4)) = 'desc' THEN
               CASE CAST(:sort1 AS VARCHAR(20)) WHEN 'period' THEN d.period WHEN 'classification' THEN d.classification
                    WHEN 'hs_code' THEN d.hs_code WHEN 'hs_description' THEN d.described WHEN 'qty_unit' THEN d.qty_unit
                    WHEN 'source' THEN d.source WHEN 'source_ref' THEN d.source_ref
                    WHEN 'retrieved_at' THEN d.retrieved_at END END AS text1_desc,
           CASE WHEN CAST(:dir1 AS VARCHAR(4)) = 'asc' THEN
               CASE CAST(:sort1 AS VARCHAR(20)) WHEN 'value_usd' THEN d.value_usd
                    WHEN 'net_weight_kg' THEN d.net_weight_kg WHEN 'qty' THEN d.qty END END AS number1_asc,
           CASE WHEN CAST(:dir1 AS VARCHAR(4)) = 'desc' THEN
               CASE CAST(:sort1 AS VARCHAR(20)) WHEN 'value_usd' THEN d.value_usd
                    WHEN 'net_weight_kg' THEN d.net_weight_kg WHEN 'qty' THEN d.qty END END AS number1_desc,
           CASE WHEN CAST(:dir2 AS VARCHAR(4)) = 'asc' THEN
               CASE CAST(:sort2 AS VARCHAR(20)) WHEN 'period' THEN d.period WHEN 'classification' THEN d.classification
                    WHEN 'hs_code' THEN d.hs_code WHEN 'hs_description' THEN d.described WHEN 'qty_unit' THEN d.qty_unit
                    WHEN 'source' THEN d.source WHEN 'source_ref' THEN d.source_ref
                    WHEN 'retrieved_at' THEN d.retrieved_at END END AS text2_asc,
           CASE WHEN CAST(:dir2 AS VARCHAR(4)) = 'desc' THEN
               CASE CAST(:sort2 AS VARCHAR(20)) WHEN 'period' THEN d.period WHEN 'classification' THEN d.classification
                    WHEN 'hs_code' THEN d.hs_code WHEN 'hs_description' THEN d.described WHEN 'qty_unit' THEN d.qty_unit
                    WHEN 'source' THEN d.source WHEN 'source_ref' THEN d.source_ref
                    WHEN 'retrieved_at' THEN d.retrieved_at END END AS text2_desc,
           CASE WHEN CAST(:dir2 AS VARCHAR(4)) = 'asc' THEN
               CASE CAST(:sort2 AS VARCHAR(20)) WHEN 'value_usd' THEN d.value_usd
                    WHEN 'net_weight_kg' THEN d.net_weight_kg WHEN 'qty' THEN d.qty END END AS number2_asc,
           CASE WHEN CAST(:dir2 AS VARCHAR(4)) = 'desc' THEN
               CASE CAST(:sort2 AS VARCHAR(20)) WHEN 'value_usd' THEN d.value_usd
                    WHEN 'net_weight_kg' THEN d.net_weight_kg WHEN 'qty' THEN d.qty END END AS number2_desc,
           CASE WHEN CAST(:dir3 AS VARCHAR(4)) = 'asc' THEN
               CASE CAST(:sort3 AS VARCHAR(20)) WHEN 'period' THEN d.period WHEN 'classification' THEN d.classification
                    WHEN 'hs_code' THEN d.hs_code WHEN 'hs_description' THEN d.described WHEN 'qty_unit' THEN d.qty_unit
                    WHEN 'source' THEN d.source WHEN 'source_ref' THEN d.source_ref
                    WHEN 'retrieved_at' THEN d.retrieved_at END END AS text3_asc,
           CASE WHEN CAST(:dir3 AS VARCHAR(4)) = 'desc' THEN
               CASE CAST(:sort3 AS VARCHAR(20)) WHEN 'period' THEN d.period WHEN 'classification' THEN d.classification
                    WHEN 'hs_code' THEN d.hs_code WHEN 'hs_description' THEN d.described WHEN 'qty_unit' THEN d.qty_unit
                    WHEN 'source' THEN d.source WHEN 'source_ref' THEN d.source_ref
                    WHEN 'retrieved_at' THEN d.retrieved_at END END AS text3_desc,
           CASE WHEN CAST(:dir3 AS VARCHAR(4)) = 'asc' THEN
               CASE CAST(:sort3 AS VARCHAR(20)) WHEN 'value_usd' THEN d.value_usd
                    WHEN 'net_weight_kg' THEN d.net_weight_kg WHEN 'qty' THEN d.qty END END AS number3_asc,
           CASE WHEN CAST(:dir3 AS VARCHAR(4)) = 'desc' THEN
               CASE CAST(:sort3 AS VARCHAR(20)) WHEN 'value_usd' THEN d.value_usd
                    WHEN 'net_weight_kg' THEN d.net_weight_kg WHEN 'qty' THEN d.qty END END AS number3_desc
    FROM described d
    WHERE (CAST(:like_period AS VARCHAR(200)) IS NULL
           OR (CASE WHEN CAST(:fold AS INTEGER) = 1 THEN LOWER(d.period) ELSE d.period END)
              LIKE :like_period ESCAPE '\')
      AND (CAST(:like_classification AS VARCHAR(200)) IS NULL
           OR (CASE WHEN CAST(:fold AS INTEGER) = 1 THEN LOWER(d.classification) ELSE d.classification END)
              LIKE :like_classification ESCAPE '\')
      AND (CAST(:like_hs_code AS VARCHAR(200)) IS NULL
           OR (CASE WHEN CAST(:fold AS INTEGER) = 1 THEN LOWER(d.hs_code) ELSE d.hs_code END)
              LIKE :like_hs_code ESCAPE '\')
      AND (CAST(:like_hs_description AS VARCHAR(200)) IS NULL
           OR (CASE WHEN CAST(:fold AS INTEGER) = 1 THEN LOWER(d.described) ELSE d.described END)
              LIKE :like_hs_description ESCAPE '\')
      AND (CAST(:like_qty_unit AS VARCHAR(200)) IS NULL
           OR (CASE WHEN CAST(:fold AS INTEGER) = 1 THEN LOWER(d.qty_unit) ELSE d.qty_unit END)
              LIKE :like_qty_unit ESCAPE '\')
      AND (CAST(:like_source AS VARCHAR(200)) IS NULL
           OR (CASE WHEN CAST(:fold AS INTEGER) = 1 THEN LOWER(d.source) ELSE d.source END)
              LIKE :like_source ESCAPE '\')
      AND (CAST(:like_source_ref AS VARCHAR(200)) IS NULL
           OR (CASE WHEN CAST(:fold AS INTEGER) = 1 THEN LOWER(d.source_ref) ELSE d.source_ref END)
              LIKE :like_source_ref ESCAPE '\')
      AND (CAST(:like_retrieved_at AS VARCHAR(200)) IS NULL
           OR (CASE WHEN CAST(:fold AS INTEGER) = 1 THEN LOWER(d.retrieved_at) ELSE d.retrieved_at END)
              LIKE :like_retrieved_at ESCAPE '\')
      AND (CAST(:min_value_usd AS DOUBLE PRECISION) IS NULL OR d.value_usd >= :min_value_usd)
      AND (CAST(:max_value_usd AS DOUBLE PRECISION) IS NULL OR d.value_usd <= :max_value_usd)
      AND (CAST(:null_value_usd AS INTEGER) IS NULL
           OR (CAST(:null_value_usd AS INTEGER) = 1 AND d.value_usd IS NULL)
           OR (CAST(:null_value_usd AS INTEGER) = 0 AND d.value_usd IS NOT NULL))
      AND (CAST(:min_net_weight_kg AS DOUBLE PRECISION) IS NULL OR d.net_weight_kg >= :min_net_weight_kg)
      AND (CAST(:max_net_weight_kg AS DOUBLE PRECISION) IS NULL OR d.net_weight_kg <= :max_net_weight_kg)
      AND (CAST(:null_net_weight_kg AS INTEGER) IS NULL
           OR (CAST(:null_net_weight_kg AS INTEGER) = 1 AND d.net_weight_kg IS NULL)
           OR (CAST(:null_net_weight_kg AS INTEGER) = 0 AND d.net_weight_kg IS NOT NULL))
      AND (CAST(:min_qty AS DOUBLE PRECISION) IS NULL OR d.qty >= :min_qty)
      AND (CAST(:max_qty AS DOUBLE PRECISION) IS NULL OR d.qty <= :max_qty)
      AND (CAST(:null_qty AS INTEGER) IS NULL
           OR (CAST(:null_qty AS INTEGER) = 1 AND d.qty IS NULL)
           OR (CAST(:null_qty AS INTEGER) = 0 AND d.qty IS NOT NULL))
),
block AS (
    SELECT k.*
    FROM kept k
    ORDER BY k.text1_asc ASC NULLS FIRST, k.text1_desc DESC NULLS LAST,
             k.number1_asc ASC NULLS FIRST, k.number1_desc DESC NULLS LAST,
             k.text2_asc ASC NULLS FIRST, k.text2_desc DESC NULLS LAST,
             k.number2_asc ASC NULLS FIRST, k.number2_desc DESC NULLS LAST,
             k.text3_asc ASC NULLS FIRST, k.text3_desc DESC NULLS LAST,
             k.number3_asc ASC NULLS FIRST, k.number3_desc DESC NULLS LAST,
             k.hs_code, k.period, k.source, k.classification
    LIMIT :limit OFFSET COALESCE(CAST(:offset AS INTEGER), 0)
)
SELECT b.reporter_code, r.name AS reporter, b.partner_code, p.name AS partner, b.flow, b.freq, b.period,
       b.classification, b.hs_code, h.description AS hs_description, b.value_usd, b.net_weight_kg, b.qty,
       b.qty_unit, b.source, b.source_ref, b.retrieved_at
FROM block b
LEFT JOIN country r ON r.code = b.reporter_code
LEFT JOIN country p ON p.code = b.partner_code
LEFT JOIN hs_code h ON h.code = b.hs_code
ORDER BY b.text1_asc ASC NULLS FIRST, b.text1_desc DESC NULLS LAST,
         b.number1_asc ASC NULLS FIRST, b.number1_desc DESC NULLS LAST,
         b.text2_asc ASC NULLS FIRST, b.text2_desc DESC NULLS LAST,
         b.number2_asc ASC NULLS FIRST, b.number2_desc DESC NULLS LAST,
         b.text3_asc ASC NULLS FIRST, b.text3_desc DESC NULLS LAST,
         b.number3_asc ASC NULLS FIRST, b.number3_desc DESC NULLS LAST,
         b.hs_code, b.period, b.source, b.classification
