-- The dated events timeline, for checking the dated statements of an article.
SELECT event_date, precision, jurisdiction, kind, title, hs_scope, source
FROM event
ORDER BY event_date, title
