"""Plots and a static HTML report of a training run (matplotlib, no server, no JavaScript).

>>> from grukit.report import write_report
>>> write_report("runs/pm25")  # doctest: +SKIP
PosixPath('runs/pm25/report.html')
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "attention_html": "grukit.report.classification",
        "entity_legend_html": "grukit.report.tagging",
        "image_html": "grukit.report._pieces",
        "plot_anomalies": "grukit.report.plots",
        "plot_attention": "grukit.report.translation",
        "plot_calibration": "grukit.report.classification",
        "plot_confusion": "grukit.report.classification",
        "plot_entity_confusion": "grukit.report.tagging",
        "plot_entity_f1": "grukit.report.tagging",
        "plot_error_by_step": "grukit.report.plots",
        "plot_forecast": "grukit.report.plots",
        "plot_learning_curves": "grukit.report.generation",
        "plot_loss_curves": "grukit.report.plots",
        "plot_piano_rolls": "grukit.report.generation",
        "plot_precision_recall": "grukit.report.classification",
        "plot_risk_over_time": "grukit.report.classification",
        "plot_roc_curves": "grukit.report.classification",
        "render_page": "grukit.report.html",
        "table_html": "grukit.report._pieces",
        "tagged_sentence_html": "grukit.report.tagging",
        "write_report": "grukit.report.html",
    },
)
