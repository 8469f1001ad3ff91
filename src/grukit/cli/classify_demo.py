"""The classification parts of ``grukit demo`` (:mod:`grukit.cli.workflow_demo`).

4. ICU mortality risk from irregular vital signs: synthetic stays
   (:func:`grukit.data.synthetic_icu_stays`) written in the PhysioNet 2012 challenge's format
   (a records folder and its ``Outcomes.txt``), then ``grukit train classify RECORDS --outcomes
   OUTCOMES --horizon-hours 48``: a GRU on GRU-D inputs (values, masks, time since each
   variable's last reading) against logistic regression on per-variable summaries, and the
   GRU's risk streamed after 6, 12, 24 and 48 hours of each test stay.
5. Sentiment of reviews: synthetic reviews (:func:`grukit.data.synthetic_reviews`) in a CSV,
   ``grukit train classify reviews.csv --pooling attention``: the GRU against TF-IDF + logistic
   regression, with the attention over the words of a few test reviews.

Both go through :func:`grukit.cli.classify.run_train_classify`, as the printed commands do.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grukit.cli.demo_commands import THREADS, command_line, fresh_run

__all__ = ["classification_numbers", "classification_sections", "icu_part", "sentiment_part"]

Echo = Callable[[str], None]
#: the hours after admission of the streaming risk (as ``grukit train classify`` scores it)
STREAM_KEYS = ("6", "12", "24", "48")


def icu_part(out: Path, seed: int, settings: dict[str, Any], echo: Echo) -> Path:
    """Write ``icu-stays/`` (PhysioNet format), classify it and draw its report; the run."""
    from grukit.data import synthetic_icu_stays, write_physionet2012

    folder = out / "icu-stays"
    if (folder / "Outcomes.txt").exists():  # a previous demo's stays: fewer in --quick
        shutil.rmtree(folder)
    stays = synthetic_icu_stays(settings["stays"], seed=seed)
    records, outcomes = write_physionet2012(stays, folder)
    run = out / "icu"
    fresh_run(run)
    options = {
        "data": records,
        "outcomes": outcomes,
        "horizon_hours": 48.0,
        "hidden_size": 32,
        "epochs": settings["icu_epochs"],
        "lr": 3e-3,
        "seed": seed,
        "threads": THREADS,
        "out": run,
    }
    return _train(options, "Demo: ICU mortality risk from irregular vital signs", echo)


def sentiment_part(out: Path, seed: int, settings: dict[str, Any], echo: Echo) -> Path:
    """Write ``reviews.csv``, classify it with attention pooling and draw its report; the run."""
    from grukit.data import synthetic_reviews
    from grukit.io import atomic_write_text

    reviews_csv = out / "reviews.csv"
    reviews = synthetic_reviews(settings["reviews"], seed=seed)
    atomic_write_text(reviews_csv, reviews.to_csv(index=False))
    run = out / "sentiment"
    fresh_run(run)
    options = {
        "data": reviews_csv,
        "pooling": "attention",
        "hidden_size": 32,
        "embedding_dim": 32,
        "epochs": settings["sentiment_epochs"],
        "lr": 3e-3,
        "seed": seed,
        "threads": THREADS,
        "out": run,
    }
    return _train(options, "Demo: sentiment of reviews", echo)


def _train(options: dict[str, Any], title: str, echo: Echo) -> Path:
    """Print the command, run it, draw the run's report; the run directory."""
    from grukit.cli.classify import run_train_classify
    from grukit.report import write_report

    echo(f"$ {command_line('classify', options)}")
    run_train_classify(options)
    write_report(options["out"], title=title)
    return Path(options["out"])


def classification_numbers(icu_run: Path, sentiment_run: Path) -> dict[str, Any]:
    """The parts' key numbers from their ``metrics.json``: the test stays and deaths, per model
    the ROC-AUC (and AUPRC) of the stays and the accuracy (and ROC-AUC) of the reviews, and the
    GRU's streaming ROC-AUC by hours after admission (``"6"``, ``"12"``, ``"24"``, ``"48"``)."""
    from grukit.io import read_json

    icu = read_json(icu_run / "metrics.json")
    sentiment = read_json(sentiment_run / "metrics.json")
    return {
        "icu": {
            "stays": icu["n"],
            "deaths": int(sum(icu["models"]["gru"]["confusion"][1])),
            "roc_auc": {name: m.get("roc_auc") for name, m in icu["models"].items()},
            "auprc": {name: m.get("auprc") for name, m in icu["models"].items()},
            "streaming_auc": {hours: icu["streaming_auc"].get(hours) for hours in STREAM_KEYS},
        },
        "sentiment": {
            "accuracy": {name: m.get("accuracy") for name, m in sentiment["models"].items()},
            "roc_auc": {name: m.get("roc_auc") for name, m in sentiment["models"].items()},
        },
    }


#: how the demo's sentences name the models of a classify run's metrics.json
MODEL_NAMES = {
    "gru": "the GRU",
    "summary_logistic": "logistic regression on summary features",
    "tfidf_logistic": "TF-IDF + logistic regression",
    "majority": "the majority class",
    "most_frequent_tag": "the most frequent tag",
}


def winner_sentence(scores: dict[str, Any], metric: str) -> str:
    """Which model scored best on `metric`, and against the runner-up (whoever wins).

    Examples
    --------
    >>> winner_sentence({"gru": 0.91, "summary_logistic": 0.93, "majority": 0.5}, "ROC-AUC")
    'Logistic regression on summary features wins on ROC-AUC: 0.930 vs 0.910 for the GRU.'
    """
    known = sorted(
        ((value, name) for name, value in scores.items() if value is not None), reverse=True
    )
    if len(known) < 2:
        return f"Too few models with a {metric} to compare."
    (best, winner), (second, runner_up) = known[0], known[1]
    first, other = (MODEL_NAMES.get(name, name) for name in (winner, runner_up))
    if best == second:
        sentence = f"{first} and {other} tie on {metric} ({best:.3f})."
    else:
        sentence = f"{first} wins on {metric}: {best:.3f} vs {second:.3f} for {other}."
    return sentence[0].upper() + sentence[1:]


def _gru_first(scores: dict[str, Any]) -> list[str]:
    """The models in table order: the GRU, then the others from the best score down."""
    rest = [name for name in scores if name != "gru"]
    rest.sort(key=lambda name: -(scores[name] if scores[name] is not None else float("-inf")))
    return ["gru", *rest] if "gru" in scores else rest


def summary_lines(numbers: dict[str, Any]) -> list[str]:
    """The demo summary's lines about the two classification parts."""
    icu, sentiment = numbers["icu"], numbers["sentiment"]
    streaming = ", ".join(
        f"{hours} h {value:.3f}" if value is not None else f"{hours} h -"
        for hours, value in icu["streaming_auc"].items()
    )
    return [
        f"ICU risk ({icu['stays']} test stays, {icu['deaths']} deaths): "
        + winner_sentence(icu["roc_auc"], "ROC-AUC"),
        f"ICU risk: the GRU's streaming ROC-AUC after {streaming}",
        "Sentiment: " + winner_sentence(sentiment["accuracy"], "accuracy"),
    ]


def _attention_example(run: Path) -> str:
    from grukit.io import read_json
    from grukit.report import attention_html

    path = run / "attention.json"
    examples = read_json(path).get("examples", []) if path.exists() else []
    if not examples:
        return ""
    first = examples[0]
    note = (
        "The attention over one test review (the redder a token, the more weight; the weights "
        "are on the GRU's states, so they often land where a clause ends, once it is read):"
    )
    return f'<p class="note">{note}</p>' + attention_html(
        first["tokens"],
        first["weights"],
        label=first.get("label"),
        predicted=first.get("predicted"),
        probability=first.get("probability"),
    )


def classification_sections(numbers: dict[str, Any], sentiment_run: Path) -> list[tuple[str, str]]:
    """The demo page's sections 4 and 5: tables, plots and links into the two runs."""
    import pandas as pd

    from grukit.report import image_html, table_html

    icu, sentiment = numbers["icu"], numbers["sentiment"]
    icu_table = pd.DataFrame({"roc_auc": icu["roc_auc"], "auprc": icu["auprc"]}, dtype=float)
    icu_table = icu_table.loc[_gru_first(icu["roc_auc"])]
    streaming = pd.DataFrame(
        [list(icu["streaming_auc"].values())],
        index=["gru"],
        columns=[f"after {hours} h" for hours in icu["streaming_auc"]],
        dtype=float,
    )
    reviews = pd.DataFrame(
        {"accuracy": sentiment["accuracy"], "roc_auc": sentiment["roc_auc"]}, dtype=float
    ).loc[_gru_first(sentiment["accuracy"])]
    icu_body = (
        table_html(icu_table)
        + f"<p>{html.escape(winner_sentence(icu['roc_auc'], 'ROC-AUC'))} On {icu['stays']} "
        f"test stays ({icu['deaths']} deaths) ROC-AUCs a few hundredths apart are within chance: "
        "another <code>--seed</code> can swap the GRU and the summary features.</p>"
        + '<p class="note">The GRU\'s ROC-AUC when each test stay is read only up to the hour '
        "(its streaming risk; after 48 h: the whole stay):</p>"
        + table_html(streaming)
        + image_html("icu/plots/roc.png", "ROC curves")
        + image_html("icu/plots/risk_over_time.png", "risk over time")
        + '<p><a href="icu/report.html">The full ICU report</a></p>'
    )
    sentiment_body = (
        table_html(reviews)
        + f"<p>{html.escape(winner_sentence(sentiment['accuracy'], 'accuracy'))}</p>"
        + image_html("sentiment/plots/roc.png", "ROC curves")
        + _attention_example(sentiment_run)
        + '<p><a href="sentiment/report.html">The full sentiment report</a></p>'
    )
    return [
        ("4. ICU mortality risk from irregular vital signs (test stays)", icu_body),
        ("5. Sentiment of reviews (test reviews)", sentiment_body),
    ]
