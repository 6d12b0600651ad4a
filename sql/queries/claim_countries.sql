-- The countries Chokepoint knows, for the hover text of country mentions.
SELECT code, iso3, name, watched
FROM country
ORDER BY code
