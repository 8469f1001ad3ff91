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

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ANOMALY_KINDS": "grukit.data.synthetic",
        "BEIJING_PM25_CATEGORIES": "grukit.data.datasets",
        "FILL_POLICIES": "grukit.data.missing",
        "GrukitDataError": "grukit.data._errors",
        "IdentityScaler": "grukit.data.scaling",
        "MinMaxScaler": "grukit.data.scaling",
        "Scaler": "grukit.data.scaling",
        "Split": "grukit.data.splits",
        "StandardScaler": "grukit.data.scaling",
        "TableInfo": "grukit.data.tables",
        "Windows": "grukit.data.windows",
        "detect_period": "grukit.data.seasonality",
        "encode_categoricals": "grukit.data.tables",
        "fill_missing": "grukit.data.missing",
        "require_finite": "grukit.data.missing",
        "inspect_table": "grukit.data.tables",
        "last_windows": "grukit.data.windows",
        "load_beijing_pm25": "grukit.data.datasets",
        "load_ett": "grukit.data.datasets",
        "make_scaler": "grukit.data.scaling",
        "make_sequences": "grukit.data.windows",
        "make_windows": "grukit.data.windows",
        "multi_seasonal_with_anomalies": "grukit.data.synthetic",
        "read_table": "grukit.data.tables",
        "require_columns": "grukit.data.tables",
        "require_numeric": "grukit.data.tables",
        "scaler_from_dict": "grukit.data.scaling",
        "scores_to_timesteps": "grukit.data.windows",
        "segment_bounds": "grukit.data.windows",
        "sequence_starts": "grukit.data.windows",
        "sine_wave": "grukit.data.synthetic",
        "split_by_date": "grukit.data.splits",
        "split_by_fraction": "grukit.data.splits",
        "time_step": "grukit.data.seasonality",
    },
)
