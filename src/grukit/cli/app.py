"""The typer application behind ``grukit``; each command imports its heavy modules lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="grukit",
    help="grukit: gated recurrent units, exact and fast. Train, evaluate and benchmark GRUs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's plots and files.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    epochs: Annotated[int, typer.Option(min=1, help="Training epochs.")] = 60,
) -> None:
    """Train a GRU on sine windows, roll it out 50 steps and plot the result (offline, < 2 min)."""
    from grukit.cli.demo import run_sine_demo

    run_sine_demo(out=out, seed=seed, epochs=epochs, echo=typer.echo)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    try:
        app(args=argv, prog_name="grukit", standalone_mode=False)
    except SystemExit as exit_:  # typer/click raise SystemExit for --help and usage errors
        return int(exit_.code or 0)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        return 1
    except Exception as error:  # noqa: BLE001 - turn user errors into one line
        import click

        if isinstance(error, click.ClickException):
            error.show()
            return error.exit_code
        raise
    return 0
