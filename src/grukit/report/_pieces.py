"""HTML pieces shared by the report's pages: a table of a DataFrame, an image reference."""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["image_html", "table_html"]


def table_html(table: pd.DataFrame, *, digits: int = 4) -> str:
    """An HTML table of a DataFrame (numbers with `digits` significant digits, NaN as "-")."""
    return table.to_html(
        float_format=lambda value: f"{value:.{digits}g}", na_rep="-", border=0, escape=True
    )


def image_html(relative_path: str, alt: str) -> str:
    """An ``<img>`` of a PNG referenced by a path relative to the page (both escaped)."""
    return f'<img src="{html.escape(relative_path)}" alt="{html.escape(alt)}">'
