"""Pure figure builders: DataFrame -> go.Figure. No Dash imports here."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

BN = 1e9


def headline_figure(frame: pd.DataFrame) -> go.Figure:
    """China customs headline trade: exports/imports stacked where split is known, the total as a line."""
    fig = go.Figure()
    years = frame["year"]
    fig.add_bar(x=years, y=frame["cn_to_ru_usd"] / BN, name="China → Russia (exports)", marker_color="#c0392b")
    fig.add_bar(x=years, y=frame["ru_to_cn_usd"] / BN, name="Russia → China (imports)", marker_color="#2c3e50")
    fig.add_scatter(x=years, y=frame["total_usd"] / BN, name="Total trade", mode="lines+markers",
                    line={"color": "#f39c12", "width": 3}, connectgaps=False)
    fig.update_layout(barmode="stack", yaxis_title="USD bn", template="plotly_white",
                      legend={"orientation": "h", "y": -0.15}, margin={"t": 30, "r": 10, "l": 50, "b": 10})
    return fig
