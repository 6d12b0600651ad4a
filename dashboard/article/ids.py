"""Component ids of the Article page."""
CLAIM = "article-claim"  # pattern-matching type: {"type": CLAIM, "index": claim id}
CHART_PANEL = "article-chart-panel"
CLAIMS_STORE = "article-claims-store"
ARTICLE_LIST = "article-list"
ARTICLE_TEXT = "article-text"
