"""Small labelled texts and irregular series for the classifier tests (deterministic)."""

from __future__ import annotations

import numpy as np
import pandas as pd

POSITIVE = ("good", "great", "fine", "love")
NEGATIVE = ("bad", "awful", "poor", "hate")
FILLER = ("the", "film", "was", "a", "plot", "actor", "and", "it")


def sentiment_texts(n: int = 200, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` texts, each one opinion word among filler; labels ``"pos"``/``"neg"``."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        positive = i % 2 == 0
        word = rng.choice(POSITIVE if positive else NEGATIVE)
        words = [*rng.choice(FILLER, 4), word, *rng.choice(FILLER, rng.integers(1, 4))]
        texts.append(" ".join(words))
        labels.append("pos" if positive else "neg")
    return texts, labels


def vital_signs(n: int = 120, seed: int = 0, *, hours: float = 24.0) -> pd.DataFrame:
    """A long table ``id, time, Parameter, Value, label``: irregular HR, BP and lactate; the
    positives' HR and lactate drift up and BP down over the stay. Some ids have few rows."""
    rng = np.random.default_rng(seed)
    rows = []
    base = {"HR": 80.0, "BP": 120.0, "Lac": 1.0}
    drift = {"HR": 25.0, "BP": -30.0, "Lac": 2.5}
    for record in range(n):
        label = int(record % 3 == 0)
        times = np.sort(rng.uniform(0, hours, rng.integers(1, 20)))
        for time in times:
            variable = str(rng.choice(list(base)))
            value = base[variable] + drift[variable] * label * time / hours + rng.normal() * 4
            rows.append((record, float(time), variable, float(value), label))
    return pd.DataFrame(rows, columns=["id", "time", "Parameter", "Value", "label"])
