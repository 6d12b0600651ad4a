-- China customs headline China-Russia trade, one row per year, directions as columns (NULL = not found).
SELECT year,
       MAX(CASE WHEN direction = 'total' THEN value_usd END) AS total_usd,
       MAX(CASE WHEN direction = 'cn_to_ru' THEN value_usd END) AS cn_to_ru_usd,
       MAX(CASE WHEN direction = 'ru_to_cn' THEN value_usd END) AS ru_to_cn_usd,
       MAX(source) AS source, MAX(source_url) AS source_url, MAX(note) AS note, MAX(retrieved_at) AS retrieved_at
FROM headline_trade
GROUP BY year
ORDER BY year
