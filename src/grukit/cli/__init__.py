"""The ``grukit`` command line: thin wrappers that parse options, call the library and print.

Run ``grukit --help`` for the commands. :func:`main` is the console-script entry point and takes an
argument list, so tests call ``main(["demo", "--out", tmpdir])`` and check the exit code.
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "app": "grukit.cli.entry",
        "main": "grukit.cli.entry",
    },
)
