-- One block of the Data page's grid sorted and filtered by its columns, within the selection: the first `cap` rows of
-- dash_trade_rows, exactly the rows the grid holds. Sorting and filtering happen over those rows only, so a block
-- costs at most `cap` rows whatever the size of the table.
-- Binds sort1..sort3 name a column (the page maps the grid's sort model through an allow-list; NULL = no key) and
-- dir1..dir3 give its direction, 'asc' or 'desc'. Missing values come first ascending and last descending, as in
-- the grid. The selection's own order breaks ties, so blocks never overlap or skip a row.
-- Column filters: like_<column> is a lower-case LIKE pattern (backslash escapes); min_<measure> and max_<measure>
-- bound a measure inclusively; null_<measure> 1 keeps only missing values, 0 only reported ones. NULL = no filter.
WITH selection AS (
    SELECT t.reporter_code, t.partner_code, t.flow, t.freq, t.period, t.classification, t.hs_code,
           t.value_usd, t.net_weight_kg, t.qty, t.qty_unit, t.source, t.source_ref, t.retrieved_at
    FROM trade_flow t
    WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow = :flow AND t.freq = :freq
      AND t.period >= :period_from AND t.period <= :period_to
      AND (CAST(:category AS VARCHAR(50)) IS NULL
           OR t.hs_code IN (SELECT ch.hs_code FROM category_hs ch WHERE ch.category = CAST(:category AS VARCHAR(50)))
           OR (t.period < '2022' AND t.hs_code IN (
                SELECT c.old_code FROM hs_concordance c JOIN category_hs ch ON ch.hs_code = c.new_code
                JOIN category k ON k.name = ch.category
                WHERE k.kind = 'chpl_tier' AND ch.category = CAST(:category AS VARCHAR(50)))))
    ORDER BY t.hs_code, t.period, t.source, t.classification
    LIMIT COALESCE(CAST(:cap AS INTEGER), 5000)  -- no cap given: the Data page's, 5,000 rows
),
named AS (
    SELECT s.reporter_code, r.name AS reporter, s.partner_code, p.name AS partner,
           s.flow, s.freq, s.period, s.classification, s.hs_code, h.description AS hs_description,
           s.value_usd, s.net_weight_kg, s.qty, s.qty_unit, s.source, s.source_ref, s.retrieved_at
    FROM selection s
    LEFT JOIN country r ON r.code = s.reporter_code
    LEFT JOIN country p ON p.code = s.partner_code
    LEFT JOIN hs_code h ON h.code = s.hs_code
),
keyed AS (
    SELECT n.*,
           CASE CAST(:sort1 AS VARCHAR(20)) WHEN 'period' THEN n.period WHEN 'classification' THEN n.classification
                WHEN 'hs_code' THEN n.hs_code WHEN 'hs_description' THEN n.hs_description
                WHEN 'qty_unit' THEN n.qty_unit WHEN 'source' THEN n.source WHEN 'source_ref' THEN n.source_ref
                WHEN 'retrieved_at' THEN n.retrieved_at END AS text1,
           CASE CAST(:sort1 AS VARCHAR(20)) WHEN 'value_usd' THEN n.value_usd
                WHEN 'net_weight_kg' THEN n.net_weight_kg WHEN 'qty' THEN n.qty END AS number1,
           CASE CAST(:sort2 AS VARCHAR(20)) WHEN 'period' THEN n.period WHEN 'classification' THEN n.classification
                WHEN 'hs_code' THEN n.hs_code WHEN 'hs_description' THEN n.hs_description
                WHEN 'qty_unit' THEN n.qty_unit WHEN 'source' THEN n.source WHEN 'source_ref' THEN n.source_ref
                WHEN 'retrieved_at' THEN n.retrieved_at END AS text2,
           CASE CAST(:sort2 AS VARCHAR(20)) WHEN 'value_usd' THEN n.value_usd
                WHEN 'net_weight_kg' THEN n.net_weight_kg WHEN 'qty' THEN n.qty END AS number2,
           CASE CAST(:sort3 AS VARCHAR(20)) WHEN 'period' THEN n.period WHEN 'classification' THEN n.classification
                WHEN 'hs_code' THEN n.hs_code WHEN 'hs_description' THEN n.hs_description
                WHEN 'qty_unit' THEN n.qty_unit WHEN 'source' THEN n.source WHEN 'source_ref' THEN n.source_ref
                WHEN 'retrieved_at' THEN n.retrieved_at END AS text3,
           CASE CAST(:sort3 AS VARCHAR(20)) WHEN 'value_usd' THEN n.value_usd
                WHEN 'net_weight_kg' THEN n.net_weight_kg WHEN 'qty' THEN n.qty END AS number3
    FROM named n
    WHERE (CAST(:like_period AS VARCHAR(200)) IS NULL OR LOWER(n.period) LIKE :like_period ESCAPE '\')
      AND (CAST(:like_classification AS VARCHAR(200)) IS NULL
           OR LOWER(n.classification) LIKE :like_classification ESCAPE '\')
      AND (CAST(:like_hs_code AS VARCHAR(200)) IS NULL OR LOWER(n.hs_code) LIKE :like_hs_code ESCAPE '\')
      AND (CAST(:like_hs_description AS VARCHAR(200)) IS NULL
           OR LOWER(n.hs_description) LIKE :like_hs_description ESCAPE '\')
      AND (CAST(:like_qty_unit AS VARCHAR(200)) IS NULL OR LOWER(n.qty_unit) LIKE :like_qty_unit ESCAPE '\')
      AND (CAST(:like_source AS VARCHAR(200)) IS NULL OR LOWER(n.source) LIKE :like_source ESCAPE '\')
      AND (CAST(:like_source_ref AS VARCHAR(200)) IS NULL OR LOWER(n.source_ref) LIKE :like_source_ref ESCAPE '\')
      AND (CAST(:like_retrieved_at AS VARCHAR(200)) IS NULL
           OR LOWER(n.retrieved_at) LIKE :like_retrieved_at ESCAPE '\')
      AND (CAST(:min_value_usd AS DOUBLE PRECISION) IS NULL OR n.value_usd >= :min_value_usd)
      AND (CAST(:max_value_usd AS DOUBLE PRECISION) IS NULL OR n.value_usd <= :max_value_usd)
      AND (CAST(:null_value_usd AS INTEGER) IS NULL
           OR (CAST(:null_value_usd AS INTEGER) = 1 AND n.value_usd IS NULL)
           OR (CAST(:null_value_usd AS INTEGER) = 0 AND n.value_usd IS NOT NULL))
      AND (CAST(:min_net_weight_kg AS DOUBLE PRECISION) IS NULL OR n.net_weight_kg >= :min_net_weight_kg)
      AND (CAST(:max_net_weight_kg AS DOUBLE PRECISION) IS NULL OR n.net_weight_kg <= :max_net_weight_kg)
      AND (CAST(:null_net_weight_kg AS INTEGER) IS NULL
           OR (CAST(:null_net_weight_kg AS INTEGER) = 1 AND n.net_weight_kg IS NULL)
           OR (CAST(:null_net_weight_kg AS INTEGER) = 0 AND n.net_weight_kg IS NOT NULL))
      AND (CAST(:min_qty AS DOUBLE PRECISION) IS NULL OR n.qty >= :min_qty)
      AND (CAST(:max_qty AS DOUBLE PRECISION) IS NULL OR n.qty <= :max_qty)
      AND (CAST(:null_qty AS INTEGER) IS NULL
           OR (CAST(:null_qty AS INTEGER) = 1 AND n.qty IS NULL)
           OR (CAST(:null_qty AS INTEGER) = 0 AND n.qty IS NOT NULL))
)
SELECT k.reporter_code, k.reporter, k.partner_code, k.partner, k.flow, k.freq, k.period, k.classification,
       k.hs_code, k.hs_description, k.value_usd, k.net_weight_kg, k.qty, k.qty_unit, k.source, k.source_ref,
       k.retrieved_at
FROM keyed k
ORDER BY CASE WHEN CAST(:dir1 AS VARCHAR(4)) = 'asc' THEN k.text1 END ASC NULLS FIRST,
         CASE WHEN CAST(:dir1 AS VARCHAR(4)) = 'desc' THEN k.text1 END DESC NULLS LAST,
         CASE WHEN CAST(:dir1 AS VARCHAR(4)) = 'asc' THEN k.number1 END ASC NULLS FIRST,
         CASE WHEN CAST(:dir1 AS VARCHAR(4)) = 'desc' THEN k.number1 END DESC NULLS LAST,
         CASE WHEN CAST(:dir2 AS VARCHAR(4)) = 'asc' THEN k.text2 END ASC NULLS FIRST,
         CASE WHEN CAST(:dir2 AS VARCHAR(4)) = 'desc' THEN k.text2 END DESC NULLS LAST,
         CASE WHEN CAST(:dir2 AS VARCHAR(4)) = 'asc' THEN k.number2 END ASC NULLS FIRST,
         CASE WHEN CAST(:dir2 AS VARCHAR(4)) = 'desc' THEN k.number2 END DESC NULLS LAST,
         CASE WHEN CAST(:dir3 AS VARCHAR(4)) = 'asc' THEN k.text3 END ASC NULLS FIRST,
         CASE WHEN CAST(:dir3 AS VARCHAR(4)) = 'desc' THEN k.text3 END DESC NULLS LAST,
         CASE WHEN CAST(:dir3 AS VARCHAR(4)) = 'asc' THEN k.number3 END ASC NULLS FIRST,
         CASE WHEN CAST(:dir3 AS VARCHAR(4)) = 'desc' THEN k.number3 END DESC NULLS LAST,
         k.hs_code, k.period, k.source, k.classification
LIMIT :limit OFFSET COALESCE(CAST(:offset AS INTEGER), 0)
