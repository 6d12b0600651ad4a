-- The dated sanctions and export-control timeline, oldest first.
SELECT event_date, precision, jurisdiction, kind, title, hs_scope, source
FROM event
ORDER BY event_date, title
