"""``python -m grukit``: the same command line as ``grukit``."""

from grukit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
