"""Worker process for the Keras 3 / TensorFlow sides: ``python -m grukit_bench.keras_worker JOB``.

Imports only NumPy, Keras and TensorFlow (plus grukit's standard-library benchmark modules), so
it can run under another interpreter that has TensorFlow but not PyTorch (``--keras-python``).
Sides: ``keras`` (``tf.function``) and ``keras-xla`` (``jit_compile=True``; no streaming).
Threads: TensorFlow ``intra_op`` 2, ``inter_op`` 2 (from the job).

Workloads, as for the PyTorch sides: streaming with a ``GRUCell`` called once per step;
whole-sequence inference of a ``GRU(return_sequences=True)``; a training step ``GRU`` +
``Dense(1)`` + MSE + Adam (lr 1e-3) in one compiled function. Weights are the point's PyTorch
weights converted to Keras' layout (``reset_after=True``, gate columns z, r, h).
"""

from __future__ import annotations

import os
import platform
import sys
import warnings
from typing import Any

import numpy as np

from grukit_bench.config import Job
from grukit_bench.data import keras_recurrent_to_torch, torch_to_keras
from grukit_bench.runner import Prepared, Unavailable, load_job, run_job, stream

__all__ = ["KerasSide", "main"]

_CHECK_ROWS = 8


class KerasSide:
    """Keras 3 ``GRU``/``GRUCell`` on the TensorFlow backend."""

    def __init__(self, job: Job, *, xla: bool) -> None:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            import keras
            import tensorflow as tf
        except ImportError as error:
            raise Unavailable(
                f"keras/tensorflow not importable by {sys.executable} ({error}); "
                "install grukit[keras] or pass --keras-python"
            ) from error
        if keras.backend.backend() != "tensorflow":
            raise Unavailable(f"keras backend is {keras.backend.backend()!r}, not 'tensorflow'")
        tf.config.threading.set_intra_op_parallelism_threads(job.threads.tf_intra_op)
        tf.config.threading.set_inter_op_parallelism_threads(job.threads.tf_inter_op)
        self.tf, self.keras, self.xla = tf, keras, xla

    def versions(self) -> dict[str, str]:
        return {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "keras": self.keras.__version__,
            "tensorflow": self.tf.__version__,
        }

    def settings(self) -> dict[str, Any]:
        threading = self.tf.config.threading
        return {
            "tf_intra_op": threading.get_intra_op_parallelism_threads(),
            "tf_inter_op": threading.get_inter_op_parallelism_threads(),
            "jit_compile": self.xla,
        }

    def _gru(self, data: dict[str, np.ndarray], *, sequences: bool, state: bool = False):
        hidden, inputs = data["weight_hh"].shape[1], data["weight_ih"].shape[1]
        layer = self.keras.layers.GRU(
            hidden, return_sequences=sequences, return_state=state, reset_after=True
        )
        layer.build((None, None, inputs))
        weights = torch_to_keras(data)
        layer.set_weights([weights["kernel"], weights["recurrent_kernel"], weights["bias"]])
        return layer

    def _forward_checks(self, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        output, h_n = self._gru(data, sequences=True, state=True)(data["x"])
        return {"output8": np.asarray(output)[:_CHECK_ROWS], "h_n": np.asarray(h_n)}

    def streaming(self, data: dict[str, np.ndarray], steps: int) -> Prepared:
        if self.xla:
            raise NotImplementedError("keras-xla is measured for whole sequences only")
        tf = self.tf
        hidden, inputs = data["weight_hh"].shape[1], data["weight_ih"].shape[1]
        cell = self.keras.layers.GRUCell(hidden, reset_after=True)
        cell.build((None, inputs))
        weights = torch_to_keras(data)
        cell.set_weights([weights["kernel"], weights["recurrent_kernel"], weights["bias"]])
        call = tf.function(lambda x_t, h: cell(x_t, [h])[0])
        xs = [tf.constant(row.reshape(1, inputs)) for row in data["x"][0]]

        def step(x_t, h):
            h = call(x_t, h)
            return h, h

        return stream(step, xs, tf.zeros((1, hidden)), to_numpy=np.asarray)

    def inference(self, data: dict[str, np.ndarray]) -> Prepared:
        tf = self.tf
        layer = self._gru(data, sequences=True)
        forward = tf.function(lambda x: layer(x), jit_compile=self.xla)
        x = tf.constant(data["x"])
        return Prepared(lambda: forward(x), self._forward_checks(data))

    def training(self, data: dict[str, np.ndarray], loss: str | None) -> Prepared:
        if loss not in ("last", "all"):
            raise ValueError(f"`loss` must be 'last' or 'all', got {loss!r}")
        tf, keras = self.tf, self.keras
        layer = self._gru(data, sequences=loss == "all")
        head = keras.layers.Dense(1)
        head.build((None, data["weight_hh"].shape[1]))
        head.set_weights([data["head_weight"].T.copy(), data["head_bias"]])
        model = keras.Sequential([layer, head])
        x = tf.constant(data["x"])
        target = tf.constant(data["target_last"] if loss == "last" else data["target_all"])
        variables = model.trainable_variables

        def objective():
            return tf.reduce_mean(tf.square(model(x, training=True) - target))

        checks = self._forward_checks(data)
        with tf.GradientTape() as tape:
            value = objective()
        paths = [variable.path for variable in variables]
        gradients = dict(zip(paths, tape.gradient(value, variables), strict=True))
        recurrent = next(g for path, g in gradients.items() if path.endswith("recurrent_kernel"))
        checks["grad_weight_hh"] = keras_recurrent_to_torch(np.asarray(recurrent))
        optimizer = keras.optimizers.Adam(learning_rate=1e-3)

        @tf.function(jit_compile=self.xla)
        def step():
            with tf.GradientTape() as tape:
                value = objective()
            optimizer.apply_gradients(zip(tape.gradient(value, variables), variables, strict=True))
            return value

        return Prepared(step, checks)


def make_side(job: Job) -> KerasSide:
    if job.side not in ("keras", "keras-xla"):
        raise Unavailable(f"unknown side {job.side!r} for the Keras worker")
    return KerasSide(job, xla=job.side == "keras-xla")


def main(argv: list[str] | None = None) -> int:
    """Run the job file named by ``argv[0]``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m grukit_bench.keras_worker JOB.json", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")
    run_job(load_job(argv[0]), make_side)
    return 0


if __name__ == "__main__":
    sys.exit(main())
