"""The generation part of ``grukit demo`` (:mod:`grukit.cli.workflow_demo`).

7. Text generation: the docstrings of grukit's own modules (read from the installed package
   with :func:`ast.get_docstring`, so the demo stays offline), written as one text file, then
   ``grukit train generate docstrings.txt --level char``: a small character GRU, validated on
   the last 10% of the characters against the unigram baseline (bits per character), and a
   200-character sample at temperature 0.8 with a fixed seed.
"""

from __future__ import annotations

import ast
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grukit.cli.demo_commands import THREADS, command_line, fresh_run

__all__ = [
    "SAMPLE_CHARACTERS",
    "docstring_corpus",
    "generation_numbers",
    "generation_part",
    "generation_section",
    "generation_summary",
]

Echo = Callable[[str], None]
#: the sample the demo prints: characters, temperature and seed
SAMPLE_CHARACTERS, SAMPLE_TEMPERATURE, SAMPLE_SEED = 200, 0.8, 0


def docstring_corpus(limit: int | None = None) -> str:
    """The module docstrings of the installed grukit package, in the order of the modules'
    paths, joined by blank lines (the first `limit` characters).

    >>> text = docstring_corpus(2000)
    >>> len(text) == 2000 and "GRU" in text
    True
    """
    from importlib import resources

    root = Path(str(resources.files("grukit")))  # the installed package's folder
    parts = []
    for path in sorted(root.rglob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if docstring:
            parts.append(docstring.strip())
    text = "\n\n".join(parts) + "\n"
    return text if limit is None else text[:limit]


def generation_part(out: Path, seed: int, settings: dict[str, Any], echo: Echo) -> Path:
    """Write ``docstrings.txt``, train the character model on it, print a sample, draw its
    report; the run directory."""
    from grukit.cli.generate import run_train_generate
    from grukit.io import atomic_write_text
    from grukit.report import write_report
    from grukit.tasks.registry import load

    corpus = atomic_write_text(out / "docstrings.txt", docstring_corpus(settings["characters"]))
    run = out / "generate"
    fresh_run(run)
    options = {
        "data": corpus,
        "level": "char",
        "hidden_size": settings["generate_hidden"],
        "num_layers": 1,
        "dropout": 0.0,
        "bptt": 64,
        "epochs": settings["generate_epochs"],
        "batch_size": settings["generate_batch"],
        "lr": 5e-3,
        "seed": seed,
        "threads": THREADS,
        "out": run,
    }
    echo(f"$ {command_line('generate', options)}")
    run_train_generate(options)
    text = load(run).sample(SAMPLE_CHARACTERS, temperature=SAMPLE_TEMPERATURE, seed=SAMPLE_SEED)
    echo(f"A sample of {SAMPLE_CHARACTERS} characters (temperature {SAMPLE_TEMPERATURE}, "
         f"seed {SAMPLE_SEED}; `grukit sample {run} --tokens {SAMPLE_CHARACTERS} "
         f"--temperature {SAMPLE_TEMPERATURE} --seed {SAMPLE_SEED}` repeats it):")  # fmt: skip
    echo(text)
    write_report(run, title="Demo: a character GRU on grukit's docstrings")
    return run


def generation_numbers(run: Path) -> dict[str, Any]:
    """The part's numbers from its ``metrics.json`` and a fresh sample: characters scored,
    bits per character of the GRU and the unigram baseline, the sample."""
    from grukit.io import read_json
    from grukit.tasks.registry import load

    record = read_json(run / "metrics.json")
    models = record["models"]
    sample = load(run).sample(SAMPLE_CHARACTERS, temperature=SAMPLE_TEMPERATURE, seed=SAMPLE_SEED)
    return {
        "characters": models["gru"]["tokens"],
        "bits_per_character": {name: m["bits_per_token"] for name, m in models.items()},
        "sample": sample,
    }


def generation_summary(numbers: dict[str, Any]) -> str:
    """The demo summary's line about the generation part.

    >>> generation_summary({"characters": 900, "bits_per_character": {"gru": 2.5,
    ...                     "unigram": 4.6}})
    'Text (900 validation characters): the GRU 2.500 bits per character, the unigram baseline 4.600'
    """  # noqa: E501
    bits = numbers["bits_per_character"]
    return (
        f"Text ({numbers['characters']} validation characters): the GRU {bits['gru']:.3f} bits "
        f"per character, the unigram baseline {bits['unigram']:.3f}"
    )


def generation_section(numbers: dict[str, Any]) -> tuple[str, str]:
    """The demo page's section 7: bits per character, the sample and a link into the run."""
    import pandas as pd

    from grukit.report import image_html, table_html

    table = pd.DataFrame({"bits per character": numbers["bits_per_character"]}, dtype=float)
    body = (
        table_html(table)
        + f"<p>{html.escape(generation_summary(numbers))}</p>"
        + f'<pre class="sample">{html.escape(numbers["sample"])}</pre>'
        + image_html("generate/plots/learning_curves.png", "learning curves")
        + '<p><a href="generate/report.html">The full generation report</a> (three samples, '
        "perplexity)</p>"
    )
    return ("7. A character GRU on grukit's own docstrings (validation characters)", body)
