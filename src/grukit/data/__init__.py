"""The data layer of grukit's time-series workflows (NumPy and pandas; no PyTorch).

A typical forecasting pipeline::

    frame = read_table("pm25.csv", time_column="time")          # parse, sort, validate
    frame = fill_missing(frame, ["pm2.5", "TEMP"], "interpolate", time_column="time")
    train, validation, test = split_by_fraction(frame, 0.1, 0.2, context=lookback)
    scaler = StandardScaler().fit(train, ["pm2.5", "TEMP"])      # training part only
    windows = make_windows(scaler.transform(train), lookback, horizon,
                           targets=["pm2.5"], covariates=["TEMP"], time_column="time")

Sequence classification of ICU stays (irregular series)::

    stays = load_physionet2012("set-a.tar.gz", "Outcomes-a.txt")   # long format + static
    grid = to_grid(stays.observations, records=stays.records)      # values, mask, delta
    filler = GridFiller("forward").fit(grid.values[train_rows])    # training records only
    table = summary_features(stays.observations, stays.static)     # a baseline's inputs

Every bad input raises :class:`GrukitDataError` (a ``ValueError``) with a one-line message.
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ANOMALY_KINDS": "grukit.data.synthetic",
        "BEIJING_PM25_CATEGORIES": "grukit.data.datasets",
        "FILL_POLICIES": "grukit.data.missing",
        "Grid": "grukit.data.irregular",
        "GridFiller": "grukit.data.irregular",
        "GrukitDataError": "grukit.data._errors",
        "HIGHEST_PITCH": "grukit.data.music",
        "ICUStays": "grukit.data.physionet",
        "IdentityScaler": "grukit.data.scaling",
        "LOWEST_PITCH": "grukit.data.music",
        "MinMaxScaler": "grukit.data.scaling",
        "PHYSIONET2012_STATIC": "grukit.data.physionet",
        "PHYSIONET2012_VARIABLES": "grukit.data.physionet",
        "PIANO_KEYS": "grukit.data.music",
        "Scaler": "grukit.data.scaling",
        "Split": "grukit.data.splits",
        "StandardScaler": "grukit.data.scaling",
        "TableInfo": "grukit.data.tables",
        "Windows": "grukit.data.windows",
        "detect_period": "grukit.data.seasonality",
        "encode_categoricals": "grukit.data.tables",
        "fill_missing": "grukit.data.missing",
        "forward_fill": "grukit.data.irregular",
        "gru_d_delta": "grukit.data.irregular",
        "inspect_table": "grukit.data.tables",
        "last_windows": "grukit.data.windows",
        "load_beijing_pm25": "grukit.data.datasets",
        "load_ett": "grukit.data.datasets",
        "load_physionet2012": "grukit.data.physionet",
        "make_scaler": "grukit.data.scaling",
        "make_sequences": "grukit.data.windows",
        "make_windows": "grukit.data.windows",
        "melody_from_roll": "grukit.data.music",
        "multi_seasonal_with_anomalies": "grukit.data.synthetic",
        "read_melody": "grukit.data.music",
        "read_midi": "grukit.data.music",
        "read_physionet2012_outcomes": "grukit.data.physionet",
        "read_piano_rolls": "grukit.data.music",
        "read_table": "grukit.data.tables",
        "require_columns": "grukit.data.tables",
        "require_finite": "grukit.data.missing",
        "require_numeric": "grukit.data.tables",
        "roll_from_melody": "grukit.data.music",
        "scaler_from_dict": "grukit.data.scaling",
        "scores_to_timesteps": "grukit.data.windows",
        "segment_bounds": "grukit.data.windows",
        "sequence_starts": "grukit.data.windows",
        "sine_wave": "grukit.data.synthetic",
        "split_by_date": "grukit.data.splits",
        "split_by_fraction": "grukit.data.splits",
        "summary_features": "grukit.data.irregular",
        "synthetic_icu_stays": "grukit.data.synthetic_classification",
        "synthetic_reviews": "grukit.data.synthetic_classification",
        "time_step": "grukit.data.seasonality",
        "to_grid": "grukit.data.irregular",
        "write_midi": "grukit.data.music",
        "write_physionet2012": "grukit.data.synthetic_classification",
    },
)
