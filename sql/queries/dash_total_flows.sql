-- All-goods (hs_code TOTAL) trade between one reporter and one partner, both flows, one source per key
-- (comtrade preferred, else the most recently retrieved). No row = not reported (a gap, never zero).
WITH picked AS (
    SELECT t.flow, t.period, t.value_usd, t.source, t.retrieved_at,
           ROW_NUMBER() OVER (
               PARTITION BY t.flow, t.period
               ORDER BY CASE WHEN t.source = 'comtrade' THEN 0 ELSE 1 END, t.retrieved_at DESC, t.source,
                        t.classification DESC) AS pick
    FROM trade_flow t
    WHERE t.reporter_code = :reporter AND t.partner_code = :partner AND t.flow IN ('X', 'M')
      AND t.freq = :freq AND t.hs_code = 'TOTAL'
      AND t.period >= :period_from AND t.period <= :period_to
)
SELECT flow, period, value_usd, source, retrieved_at
FROM picked
WHERE pick = 1
ORDER BY flow, period
