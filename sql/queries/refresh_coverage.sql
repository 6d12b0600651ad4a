-- What earlier refreshes of a source fetched (the refresh cursor): one row per answered query cell.
SELECT query_key, reporter_code, partner_code, flow, freq, period, hs_codes, records, status, retrieved_at
FROM coverage
WHERE source = :source
