"""The data layer of grukit's time-series workflows (NumPy and pandas; no PyTorch).

A typical forecasting pipeline::

    frame = read_table("pm25.csv", time_column="time")          # parse, sort, validate
    frame = fill_missing(frame, ["pm2.5", "TEMP"], "interpolate", time_column="time")
    train, validation, test = split_by_fraction(frame, 0.1, 0.2, context=lookback)
    scaler = StandardScaler().fit(train, ["pm2.5", "TEMP"])      # training part only
    windows = make_windows(scaler.transform(train), lookback, horizon,
                           targets=["pm2.5"], covariates=["TEMP"], time_column="time")

Every bad input raises :class:`GrukitDataError` (a ``ValueError``) with a one-line message.
"""

from grukit.data._errors import GrukitDataError
from grukit.data.datasets import BEIJING_PM25_CATEGORIES, load_beijing_pm25, load_ett
from grukit.data.missing import FILL_POLICIES, fill_missing
from grukit.data.scaling import (
    IdentityScaler,
    MinMaxScaler,
    Scaler,
    StandardScaler,
    make_scaler,
    scaler_from_dict,
)
from grukit.data.seasonality import detect_period, time_step
from grukit.data.splits import Split, split_by_date, split_by_fraction
from grukit.data.synthetic import ANOMALY_KINDS, multi_seasonal_with_anomalies, sine_wave
from grukit.data.tables import (
    TableInfo,
    encode_categoricals,
    inspect_table,
    read_table,
    require_columns,
    require_numeric,
)
from grukit.data.windows import (
    Windows,
    last_windows,
    make_sequences,
    make_windows,
    scores_to_timesteps,
    segment_bounds,
    sequence_starts,
)

__all__ = [
    "ANOMALY_KINDS",
    "BEIJING_PM25_CATEGORIES",
    "FILL_POLICIES",
    "GrukitDataError",
    "IdentityScaler",
    "MinMaxScaler",
    "Scaler",
    "Split",
    "StandardScaler",
    "TableInfo",
    "Windows",
    "detect_period",
    "encode_categoricals",
    "fill_missing",
    "inspect_table",
    "last_windows",
    "load_beijing_pm25",
    "load_ett",
    "make_scaler",
    "make_sequences",
    "make_windows",
    "multi_seasonal_with_anomalies",
    "read_table",
    "require_columns",
    "require_numeric",
    "scaler_from_dict",
    "scores_to_timesteps",
    "segment_bounds",
    "sequence_starts",
    "sine_wave",
    "split_by_date",
    "split_by_fraction",
    "time_step",
]
