-- Keys of the stored rows of one source, frequency and period: a new answer is compared with them.
SELECT reporter_code, partner_code, flow, period, classification, hs_code
FROM trade_flow
WHERE source = :source AND freq = :freq AND period = :period
