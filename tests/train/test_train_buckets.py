"""TrainConfig.bucket: shuffled batches of similar lengths (token ids padded with 0)."""

from __future__ import annotations

import pytest
import torch

from grukit.train.data import Batches


def _padded(lengths: list[int], width: int = 40) -> torch.Tensor:
    rows = torch.zeros(len(lengths), width, dtype=torch.long)
    for row, length in enumerate(lengths):
        rows[row, :length] = torch.arange(1, length + 1)
    return rows


def test_buckets_cover_every_sample_once_with_similar_lengths() -> None:
    lengths = [(7 * i) % 37 + 1 for i in range(500)]
    inputs = _padded(lengths)
    batches = Batches((inputs, torch.arange(500)), name="train_data", dtype=torch.float32)
    generator = torch.Generator().manual_seed(0)
    seen, spreads, plain_spreads = [], [], []
    for _, targets in batches.iterate(16, generator=generator, bucket=True):
        seen.extend(targets.tolist())
        batch_lengths = [lengths[i] for i in targets.tolist()]
        spreads.append(max(batch_lengths) - min(batch_lengths))
    assert sorted(seen) == list(range(500))
    for _, targets in batches.iterate(16, generator=torch.Generator().manual_seed(0)):
        batch_lengths = [lengths[i] for i in targets.tolist()]
        plain_spreads.append(max(batch_lengths) - min(batch_lengths))
    # 500 samples in one pool of 64 batches: sorted, a batch spans about 37 * 16 / 500 lengths
    assert max(spreads) <= 2
    assert sum(plain_spreads) / len(plain_spreads) > 20
    # the batches' order is shuffled: not sorted by length
    firsts = [lengths[t] for t in seen[::16]]
    assert firsts != sorted(firsts)


def test_buckets_repeat_with_the_seed_and_need_integer_inputs() -> None:
    inputs = _padded([(3 * i) % 11 + 1 for i in range(100)])
    batches = Batches((inputs, torch.arange(100)), name="train_data", dtype=torch.float32)

    def order(seed: int) -> list[int]:
        generator = torch.Generator().manual_seed(seed)
        return [t for _, y in batches.iterate(8, generator=generator, bucket=True)
                for t in y.tolist()]  # fmt: skip

    assert order(1) == order(1) and order(1) != order(2)
    floats = Batches((torch.randn(10, 3), torch.randn(10)), name="train_data", dtype=torch.float32)
    with pytest.raises(ValueError, match="integer inputs"):
        list(floats.iterate(4, generator=torch.Generator(), bucket=True))
