-- One article by id (zero rows: no such article).
SELECT id, title, author, outlet, url, published, body, source_ref, retrieved_at
FROM article
WHERE id = :id
