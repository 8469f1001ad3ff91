"""The version of grukit, in one place (``grukit.__version__`` reads it)."""

__version__ = "0.1.0"
