"""``python -m grukit.bench [options]``: the same as ``grukit bench``."""

import sys

from grukit.bench.command import main

sys.exit(main())
