"""Process-level runtime controls for the CPU engines: denormal flushing and threads.

See ``docs/performance.md`` ("Denormals", "Threads").
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "apply_env_threads": "grukit.runtime.threads",
        "auto_num_threads": "grukit.runtime.threads",
        "denormal_support": "grukit.runtime.denormals",
        "flush_denormals": "grukit.runtime.denormals",
        "get_mxcsr": "grukit.runtime.denormals",
        "get_num_threads": "grukit.runtime.threads",
        "set_num_threads": "grukit.runtime.threads",
        "step_work": "grukit.runtime.threads",
        "compute_threads": "grukit.runtime.threads",
        "user_num_threads": "grukit.runtime.threads",
    },
)
