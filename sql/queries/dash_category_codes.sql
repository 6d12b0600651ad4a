-- Every category's exact HS codes with the category's kind and label (a small reference list).
SELECT k.name AS category, k.label, k.kind, ch.hs_code
FROM category k JOIN category_hs ch ON ch.category = k.name
ORDER BY k.name, ch.hs_code
