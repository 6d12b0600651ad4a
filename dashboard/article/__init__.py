"""The annotated article: claim extraction (extract, events), checks against the database (check), charts, rendering."""
