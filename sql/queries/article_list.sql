-- Every stored article, oldest first (the bundled seed article comes first), without its body.
SELECT id, title, author, outlet, published, url, retrieved_at
FROM article
ORDER BY retrieved_at, id
