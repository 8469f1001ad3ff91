"""``python -m grukit_bench [options]``: the same as ``grukit bench``."""

import sys

from grukit_bench.command import main

sys.exit(main())
