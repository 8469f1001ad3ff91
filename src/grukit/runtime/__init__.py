"""Process-level runtime controls for the CPU engines: denormal flushing and threads.

See ``docs/performance.md`` ("Denormals", "Threads").
"""

from grukit.runtime.denormals import denormal_support, flush_denormals, get_mxcsr
from grukit.runtime.threads import apply_env_threads, get_num_threads, set_num_threads

__all__ = [
    "apply_env_threads",
    "denormal_support",
    "flush_denormals",
    "get_mxcsr",
    "get_num_threads",
    "set_num_threads",
]
