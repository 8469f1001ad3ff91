"""PyTorch and ONNX Runtime sides: ``nn.GRU``, ``nn.GRUCell``, ``ort`` and ``ort-1t``.

Also the PyTorch helpers that the grukit sides share (:func:`torch_training`,
:func:`torch_inference`, :func:`stream`), so that every PyTorch-based side runs exactly the same
workload code:

- streaming: B=1, one step per Python call, ``T`` consecutive steps with the state carried, under
  ``torch.inference_mode``; the inputs are split into per-step tensors beforehand;
- inference: one forward of the whole sequence under ``torch.inference_mode`` (full output);
- training: ``zero_grad(set_to_none=True)`` + forward + ``Linear(H, 1)`` head + MSE (on the last
  output, or on the head at all time steps) + ``backward()`` + ``Adam.step()`` (lr 1e-3).

Thread settings: ``torch.set_num_threads(threads.torch)``; ONNX Runtime ``intra_op_num_threads``
2 (``ort``) or 1 (``ort-1t``), ``inter_op_num_threads`` 1, sequential execution, all graph
optimisations. The ONNX model is ``nn.GRU`` exported by the legacy TorchScript exporter
(``dynamo=False``, opset 17), which maps it onto ONNX's own ``GRU`` operator.
"""

from __future__ import annotations

import io
import platform
import warnings
from typing import Any

import numpy as np

from grukit_bench.config import Job
from grukit_bench.runner import Prepared, Unavailable, stream

__all__ = [
    "OrtSide",
    "TorchCellSide",
    "TorchGRUSide",
    "reference_gru",
    "torch_inference",
    "torch_stream_inputs",
    "torch_training",
    "torch_versions",
]

_CHECK_ROWS = 8


def torch_versions() -> dict[str, str]:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }


def _tensor(array: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(array))


def load_gru_weights(module: Any, data: dict[str, np.ndarray], suffix: str = "_l0") -> None:
    """Copy the point's weights into a module with ``nn.GRU``-style parameter names."""
    import torch

    parameters = dict(module.named_parameters())
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            key = f"{name}{suffix}"
            if key not in parameters:
                raise NotImplementedError(f"module has no parameter {key!r}")
            parameters[key].copy_(_tensor(data[name]))


def reference_gru(data: dict[str, np.ndarray]):
    """``torch.nn.GRU`` (batch_first) holding the point's weights."""
    import torch

    hidden, inputs = data["weight_ih"].shape[0] // 3, data["weight_ih"].shape[1]
    gru = torch.nn.GRU(inputs, hidden, batch_first=True)
    load_gru_weights(gru, data)
    return gru


def _head(data: dict[str, np.ndarray]):
    import torch

    head = torch.nn.Linear(data["head_weight"].shape[1], 1)
    with torch.no_grad():
        head.weight.copy_(_tensor(data["head_weight"]))
        head.bias.copy_(_tensor(data["head_bias"]))
    return head


def forward_checks(output, h_n) -> dict[str, np.ndarray]:
    """``output8`` (first rows of the output) and ``h_n`` (B, H) as NumPy arrays."""
    output = np.asarray(output)
    return {
        "output8": output[:_CHECK_ROWS].copy(),
        "h_n": np.asarray(h_n).reshape(-1, output.shape[-1]),
    }


def torch_inference(gru: Any, data: dict[str, np.ndarray]) -> Prepared:
    """Whole-sequence forward of a module returning ``(output, h_n)``, under inference_mode."""
    import torch

    x = _tensor(data["x"])  # (B, T, I)
    with torch.inference_mode():
        output, h_n = gru(x)
        checks = forward_checks(output.numpy(), h_n.numpy())

    def call() -> object:
        with torch.inference_mode():
            return gru(x)

    return Prepared(call, checks)


def torch_training(gru: Any, data: dict[str, np.ndarray], loss: str | None) -> Prepared:
    """One training step of ``gru`` + ``Linear(H, 1)`` + MSE + Adam (see the module docstring)."""
    import torch

    if loss not in ("last", "all"):
        raise ValueError(f"`loss` must be 'last' or 'all', got {loss!r}")
    head = _head(data)
    x = _tensor(data["x"])  # (B, T, I)
    target = _tensor(data["target_last"] if loss == "last" else data["target_all"])
    mse = torch.nn.functional.mse_loss

    def objective():
        output, _ = gru(x)  # (B, T, H)
        prediction = head(output[:, -1]) if loss == "last" else head(output)
        return mse(prediction, target)

    with torch.inference_mode():
        output, h_n = gru(x)
        checks = forward_checks(output.numpy(), h_n.numpy())
    objective().backward()
    weight_hh = dict(gru.named_parameters())["weight_hh_l0"]
    checks["grad_weight_hh"] = weight_hh.grad.detach().numpy().copy()
    parameters = [*gru.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=1e-3)

    def step() -> object:
        optimizer.zero_grad(set_to_none=True)
        value = objective()
        value.backward()
        optimizer.step()
        return value

    return Prepared(step, checks)


def torch_stream_inputs(data: dict[str, np.ndarray], shape: tuple[int, ...]) -> list[Any]:
    x = _tensor(data["x"][0])  # (T, I)
    return [row.reshape(shape).clone() for row in x]


class TorchGRUSide:
    """``torch.nn.GRU``; streaming calls it with T=1 per step."""

    def __init__(self, job: Job) -> None:
        import torch

        torch.set_num_threads(job.threads.torch)
        self.threads = job.threads.torch

    def versions(self) -> dict[str, str]:
        return torch_versions()

    def settings(self) -> dict[str, Any]:
        import torch

        return {
            "torch_threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
        }

    def streaming(self, data: dict[str, np.ndarray], steps: int) -> Prepared:
        import torch

        gru = reference_gru(data)
        hidden, inputs = gru.hidden_size, gru.input_size

        def step(x_t, h):
            y, h = gru(x_t, h)
            return y, h

        return stream(
            step,
            torch_stream_inputs(data, (1, 1, inputs)),
            torch.zeros(1, 1, hidden),
            to_numpy=lambda y: y.numpy(),
            context=torch.inference_mode,
        )

    def inference(self, data: dict[str, np.ndarray]) -> Prepared:
        return torch_inference(reference_gru(data), data)

    def training(self, data: dict[str, np.ndarray], loss: str | None) -> Prepared:
        return torch_training(reference_gru(data), data, loss)


class TorchCellSide(TorchGRUSide):
    """``torch.nn.GRUCell`` (streaming only)."""

    def streaming(self, data: dict[str, np.ndarray], steps: int) -> Prepared:
        import torch

        hidden, inputs = data["weight_hh"].shape[1], data["weight_ih"].shape[1]
        cell = torch.nn.GRUCell(inputs, hidden)
        load_gru_weights(cell, data, suffix="")

        def step(x_t, h):
            h = cell(x_t, h)
            return h, h

        return stream(
            step,
            torch_stream_inputs(data, (1, inputs)),
            torch.zeros(1, hidden),
            to_numpy=lambda y: y.numpy(),
            context=torch.inference_mode,
        )

    def inference(self, data: dict[str, np.ndarray]) -> Prepared:
        raise NotImplementedError("nn.GRUCell is measured for streaming only")

    def training(self, data: dict[str, np.ndarray], loss: str | None) -> Prepared:
        raise NotImplementedError("nn.GRUCell is measured for streaming only")


class OrtSide:
    """ONNX Runtime running ``nn.GRU`` exported to ONNX (the ``GRU`` operator)."""

    def __init__(self, job: Job, *, intra_op_threads: int) -> None:
        try:
            import onnx  # noqa: F401 - the exporter needs it
            import onnxruntime
        except ImportError as error:
            raise Unavailable(
                f"onnxruntime/onnx not installed ({error}); pip install onnx onnxruntime"
            ) from error
        import torch

        torch.set_num_threads(job.threads.torch)
        self.ort = onnxruntime
        self.intra_op_threads = intra_op_threads
        self.inter_op_threads = job.threads.ort_inter_op
        self._sessions: dict[tuple[int, int], Any] = {}

    def versions(self) -> dict[str, str]:
        import onnx

        return {**torch_versions(), "onnx": onnx.__version__, "onnxruntime": self.ort.__version__}

    def settings(self) -> dict[str, Any]:
        return {
            "intra_op_num_threads": self.intra_op_threads,
            "inter_op_num_threads": self.inter_op_threads,
            "execution_mode": "ORT_SEQUENTIAL",
            "graph_optimization_level": "ORT_ENABLE_ALL",
            "providers": ["CPUExecutionProvider"],
            "exporter": "torch.onnx.export(dynamo=False, opset_version=17)",
        }

    def session(self, data: dict[str, np.ndarray]):
        """An inference session for the point's weights (weights depend on (I, H) only)."""
        import torch

        hidden, inputs = data["weight_hh"].shape[1], data["weight_ih"].shape[1]
        key = (inputs, hidden)
        if key not in self._sessions:
            gru = reference_gru(data)
            buffer = io.BytesIO()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the legacy exporter is deprecated upstream
                torch.onnx.export(
                    gru,
                    (torch.zeros(1, 2, inputs), torch.zeros(1, 1, hidden)),
                    buffer,
                    dynamo=False,
                    opset_version=17,
                    input_names=["x", "h0"],
                    output_names=["output", "h_n"],
                    dynamic_axes={
                        "x": {0: "batch", 1: "time"},
                        "h0": {1: "batch"},
                        "output": {0: "batch", 1: "time"},
                        "h_n": {1: "batch"},
                    },
                )
            options = self.ort.SessionOptions()
            options.intra_op_num_threads = self.intra_op_threads
            options.inter_op_num_threads = self.inter_op_threads
            options.execution_mode = self.ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = self.ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._sessions[key] = self.ort.InferenceSession(
                buffer.getvalue(), options, providers=["CPUExecutionProvider"]
            )
        return self._sessions[key]

    def streaming(self, data: dict[str, np.ndarray], steps: int) -> Prepared:
        session = self.session(data)
        hidden = data["weight_hh"].shape[1]
        x = data["x"]  # (1, T, I)
        inputs = [np.ascontiguousarray(x[:, t : t + 1]) for t in range(x.shape[1])]

        def step(x_t, h):
            (h,) = session.run(["h_n"], {"x": x_t, "h0": h})
            return h, h

        return stream(step, inputs, np.zeros((1, 1, hidden), np.float32), to_numpy=np.asarray)

    def inference(self, data: dict[str, np.ndarray]) -> Prepared:
        session = self.session(data)
        batch, hidden = data["x"].shape[0], data["weight_hh"].shape[1]
        feeds = {"x": data["x"], "h0": np.zeros((1, batch, hidden), np.float32)}
        output, h_n = session.run(None, feeds)
        return Prepared(lambda: session.run(None, feeds), forward_checks(output, h_n))

    def training(self, data: dict[str, np.ndarray], loss: str | None) -> Prepared:
        raise NotImplementedError("ONNX Runtime is measured for inference only")
