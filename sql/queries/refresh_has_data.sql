-- Whether a source ever loaded anything or answered anything: decides the first-start refresh.
SELECT
    (SELECT COUNT(*) FROM trade_flow WHERE source = :source) AS trade_rows,
    (SELECT COUNT(*) FROM coverage WHERE source = :source) AS coverage_rows
