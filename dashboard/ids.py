"""Component ids used across modules, in one place."""
FRESHNESS = "freshness-banner"
FILTER_STORE = "filter-store"
OVERVIEW_GRAPH = "overview-graph"
