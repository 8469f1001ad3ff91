"""grukit sides: ``grukit.GRU(engine=...)`` and the fused engine's streaming stepper.

- ``grukit-fused`` / ``grukit-auto`` / ``grukit-torch``: ``grukit.GRU(I, H, engine=...)`` with the
  point's weights, run by the same workload code as ``nn.GRU`` (:mod:`grukit_bench.peers`);
  streaming uses ``streamer = gru.streamer(1)`` and ``y_t = streamer.step(x_t)`` (NumPy in and
  out, the state updated in place; ``gru.step`` is the functional, tensor-allocating route).
- ``grukit-stepper``: ``grukit.engines.fused.FusedStepper`` (the low-level streaming API, NumPy
  in and out), one ``step`` per Python call.

A side whose code is missing (no ``grukit.nn.GRU``, an engine that cannot be imported, no
``FusedStepper``) raises :class:`~grukit_bench.runner.Unavailable` with the reason.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grukit_bench.config import Job
from grukit_bench.peers import (
    load_gru_weights,
    torch_inference,
    torch_training,
    torch_versions,
)
from grukit_bench.runner import Prepared, Unavailable, stream

__all__ = ["GrukitSide", "StepperSide"]


def _grukit_versions() -> dict[str, str]:
    import grukit

    versions = {**torch_versions(), "grukit": grukit.__version__}
    try:
        import numba

        versions["numba"] = numba.__version__
    except ImportError:  # pragma: no cover - numba is a dependency
        pass
    return versions


class GrukitSide:
    """``grukit.GRU(engine=engine)``; the engine name comes from the side (``grukit-<engine>``)."""

    def __init__(self, job: Job, *, engine: str) -> None:
        import torch

        torch.set_num_threads(job.threads.torch)
        self.engine = engine
        try:
            from grukit.nn import GRU
        except ImportError as error:
            raise Unavailable(f"grukit.nn.GRU cannot be imported ({error})") from error
        self.GRU = GRU
        try:  # a tiny forward proves that the engine exists and runs
            probe = GRU(2, 3, engine=engine)
            probe(torch.zeros(1, 2, 2))
        except Exception as error:  # noqa: BLE001 - any failure means "this side cannot run"
            reason = f"{type(error).__name__}: {error}"
            raise Unavailable(f"grukit.GRU(engine={engine!r}) does not run ({reason})") from error

    def versions(self) -> dict[str, str]:
        return _grukit_versions()

    def settings(self) -> dict[str, Any]:
        import torch

        return {"engine": self.engine, "torch_threads": torch.get_num_threads()}

    def _gru(self, data: dict[str, np.ndarray]):
        hidden, inputs = data["weight_hh"].shape[1], data["weight_ih"].shape[1]
        gru = self.GRU(inputs, hidden, engine=self.engine)
        load_gru_weights(gru, data)
        return gru

    def streaming(self, data: dict[str, np.ndarray], steps: int) -> Prepared:
        """``gru.streamer(1)``: grukit's streaming API (state kept inside, updated in place),
        NumPy float32 (1, I) in, a (1, H) view of the state out; nothing allocated per step."""
        gru = self._gru(data).eval()
        if not hasattr(gru, "streamer"):
            raise NotImplementedError("grukit.GRU has no streamer()")
        streamer = gru.streamer(1)
        xs = [np.ascontiguousarray(row.reshape(1, -1)) for row in data["x"][0]]  # T x (1, I)

        def step(x_t, carry):
            return streamer.step(x_t), carry

        return stream(step, xs, None, to_numpy=np.asarray)

    def inference(self, data: dict[str, np.ndarray]) -> Prepared:
        return torch_inference(self._gru(data).eval(), data)

    def training(self, data: dict[str, np.ndarray], loss: str | None) -> Prepared:
        return torch_training(self._gru(data).train(), data, loss)


class StepperSide:
    """The fused engine's streaming stepper, on its fast path (NumPy float32 in and out).

    ``stepper = FusedStepper(weight_ih, weight_hh, bias_ih, bias_hh)``; per step
    ``stepper.step(x_t, h, out=h)`` with ``x_t`` (I,) and ``h`` (H,), i.e. in place and
    allocation-free, as a latency-sensitive caller would use it.
    """

    def __init__(self, job: Job) -> None:
        import torch

        torch.set_num_threads(job.threads.torch)
        try:
            from grukit.engines import fused
        except ImportError as error:
            raise Unavailable(f"grukit.engines.fused cannot be imported ({error})") from error
        self.cls = getattr(fused, "FusedStepper", None)
        if self.cls is None:
            raise Unavailable("grukit.engines.fused has no FusedStepper")

    def versions(self) -> dict[str, str]:
        return _grukit_versions()

    def settings(self) -> dict[str, Any]:
        return {"class": f"{self.cls.__module__}.{self.cls.__qualname__}", "io": "numpy, out=h"}

    def streaming(self, data: dict[str, np.ndarray], steps: int) -> Prepared:
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        try:
            stepper = self.cls(*(np.ascontiguousarray(data[name]) for name in names))
        except TypeError as error:
            raise NotImplementedError(f"FusedStepper(weights...) failed: {error}") from error
        xs = [np.ascontiguousarray(row) for row in data["x"][0]]  # T arrays (I,)

        def step(x_t, h):
            stepper.step(x_t, h, out=h)
            return h, h

        hidden = data["weight_hh"].shape[1]
        return stream(step, xs, np.zeros(hidden, np.float32), to_numpy=np.asarray)

    def inference(self, data: dict[str, np.ndarray]) -> Prepared:
        raise NotImplementedError("the stepper is measured for streaming only")

    def training(self, data: dict[str, np.ndarray], loss: str | None) -> Prepared:
        raise NotImplementedError("the stepper is measured for streaming only")
