"""Training: a plain, seeded, checkpointed loop for any ``torch.nn.Module``.

>>> import torch
>>> from grukit.train import TrainConfig, train
>>> model = torch.nn.Linear(3, 1)
>>> x = torch.randn(64, 3); y = x.sum(dim=1, keepdim=True)
>>> history = train(model, (x, y), config=TrainConfig(epochs=3), verbose=False)
>>> len(history.train_loss)
3

Names are imported lazily so that ``from grukit.train.config import TrainConfig`` (or
``grukit.train.TrainConfig``) does not import PyTorch.
"""

from grukit._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "Callback": "grukit.train.callbacks",
        "Checkpoint": "grukit.train.checkpoint",
        "CheckpointError": "grukit.train.checkpoint",
        "History": "grukit.train.history",
        "TrainConfig": "grukit.train.config",
        "TrainState": "grukit.train.callbacks",
        "compute_context": "grukit.train.loop",
        "has_checkpoint": "grukit.train.checkpoint",
        "load_checkpoint": "grukit.train.checkpoint",
        "seed_everything": "grukit.train.seed",
        "train": "grukit.train.loop",
    },
)
