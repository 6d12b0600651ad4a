-- China customs headline figures for checking money claims: every year and direction (NULL = not found).
SELECT year, direction, value_usd, source, source_url, note
FROM headline_trade
ORDER BY direction, year
