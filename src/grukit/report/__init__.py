"""Plots and a static HTML report of a training run (matplotlib, no server, no JavaScript).

>>> from grukit.report import write_report
>>> write_report("runs/pm25")  # doctest: +SKIP
PosixPath('runs/pm25/report.html')
"""

from grukit.report.html import image_html, render_page, table_html, write_report
from grukit.report.plots import (
    plot_anomalies,
    plot_error_by_step,
    plot_forecast,
    plot_loss_curves,
)

__all__ = [
    "image_html",
    "plot_anomalies",
    "plot_error_by_step",
    "plot_forecast",
    "plot_loss_curves",
    "render_page",
    "table_html",
    "write_report",
]
