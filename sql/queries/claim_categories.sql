-- Categories with their exact HS codes and labels, for goods claims (what data would check them).
SELECT c.name, c.label, c.kind, h.hs_code
FROM category c
JOIN category_hs h ON h.category = c.name
ORDER BY c.name, h.hs_code
