"""Forecast Beijing PM2.5 six hours ahead with the Python API, against the baselines.

Usage::

    python examples/forecast_pm25.py path/to/PRSA_data_2010.1.1-2014.12.31.csv

The UCI file has separate year/month/day/hour columns (combined into ``time`` automatically),
2,067 missing pm2.5 values (``fill="interpolate"``) and a text wind direction ``cbwd``
(one-hot encoded automatically). Trains on 2010-2013, tests on 2014.
"""

from __future__ import annotations

import sys

import grukit
from grukit.data import split_by_date
from grukit.tasks import Forecaster, load_frame
from grukit.train import TrainConfig


def main(path: str) -> None:
    frame, time_column = load_frame(path)  # builds `time` from year, month, day, hour
    parts = split_by_date(frame, test_from="2014-01-01", time_column=time_column, context=24)
    model = Forecaster(
        24,
        6,
        targets="pm2.5",
        covariates=["DEWP", "TEMP", "PRES", "Iws", "Is", "Ir", "cbwd"],
        fill="interpolate",
        train_config=TrainConfig(epochs=10, seed=0),
    )
    model.fit(parts.train, validation=0.1)  # the last 10% of 2010-2013 for early stopping
    table = model.evaluate(parts.test)
    print(table[["rmse", "mae", "rmse@1", "rmse@6", "mae@1", "mae@6"]].round(2))
    model.save("pm25-model")
    reloaded = grukit.tasks.load("pm25-model")
    print(reloaded.predict(parts.test))  # the 6 hours after the end of 2014


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: python {sys.argv[0]} PRSA_data_2010.1.1-2014.12.31.csv")
    main(sys.argv[1])
