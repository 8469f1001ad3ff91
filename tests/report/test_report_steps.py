"""Per-step metrics are ordered by step as a number (@2 before @10) in tables and plots."""

from __future__ import annotations

import numpy as np
import pandas as pd

from grukit.io import read_json, write_json
from grukit.report import plot_error_by_step, plots
from grukit.tasks.evaluation import metric_columns, table_from_record, table_to_record


def _table(horizon=12):
    columns = metric_columns(horizon)
    values = np.arange(2 * len(columns), dtype=np.float64).reshape(2, len(columns))
    table = pd.DataFrame(values, index=pd.Index(["gru", "persistence"], name="model"))
    table.columns = columns
    table.attrs["target"] = "a"
    return table


def test_a_table_read_back_from_metrics_json_keeps_the_steps_in_numeric_order(tmp_path):
    table = _table()
    write_json(tmp_path / "metrics.json", table_to_record(table))  # keys sorted as text
    restored = table_from_record(read_json(tmp_path / "metrics.json"))["a"]
    assert list(restored.columns) == metric_columns(12)
    assert [c for c in restored.columns if c.startswith("rmse@")][8:11] == [
        "rmse@9", "rmse@10", "rmse@11",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(restored, table, check_names=False)


def test_error_plot_draws_the_steps_in_numeric_order(tmp_path, monkeypatch):
    table = _table()
    scrambled = table[sorted(table.columns)]  # rmse@1, rmse@10, rmse@11, rmse@12, rmse@2, ...
    drawn = []

    def keep_lines(figure, path):
        drawn.extend(line.get_xdata().tolist() for line in figure.axes[0].get_lines())
        return path

    monkeypatch.setattr(plots, "save_figure", keep_lines)
    plot_error_by_step(scrambled, tmp_path / "errors.png")
    assert drawn and all(x == list(range(1, 13)) for x in drawn)
