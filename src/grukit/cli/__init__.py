"""The ``grukit`` command line: thin wrappers that parse options, call the library and print.

Run ``grukit --help`` for the commands. :func:`main` is the console-script entry point and takes an
argument list, so tests call ``main(["demo", "--out", tmpdir])`` and check the exit code.
"""

from __future__ import annotations

from grukit.cli.app import app, main

__all__ = ["app", "main"]
