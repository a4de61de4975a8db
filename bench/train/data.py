"""Training data: a verified dataset held in memory, sampled by (seed, step).

Batches are a pure function of the seed and the step number, so a resumed run
sees exactly the batches it would have seen without the interruption.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import torch

from bench.audio import load_mono
from bench.datasets import Item, resolve_items
from bench.train.config import DataConfig


def manifest_hash(items: list[Item]) -> str:
    """sha256 of the newline-joined sorted item sha256s (the training data's identity)."""
    return hashlib.sha256("\n".join(sorted(i.sha256 for i in items)).encode()).hexdigest()


@dataclass(frozen=True)
class TrainData:
    """Decoded training and validation audio.

    Attributes:
        train: float32 signals [T_i] at `sample_rate`.
        val: fixed validation crops [N, 1, L] (L a multiple of the hop).
        items: every item used (training and held out), for the manifest.
        n_train / n_val: file counts.
    """

    train: tuple[np.ndarray, ...]
    val: torch.Tensor
    items: tuple[Item, ...]
    n_train: int
    n_val: int

    @property
    def manifest_hash(self) -> str:
        return manifest_hash(list(self.items))

    @property
    def seconds(self) -> float:
        return sum(len(x) for x in self.train)


def _crop_len(seconds: float, sample_rate: int, hop: int) -> int:
    n = int(seconds * sample_rate) // hop * hop
    if n <= 0:
        raise ValueError(f"segment of {seconds} s is shorter than one hop ({hop} samples)")
    return n


def load_train_data(cfg: DataConfig, sample_rate: int, hop: int, limit: int | None = None) -> TrainData:
    """Read the dataset (first `limit` files if given) and cut the validation crops.

    The last `cfg.holdout` files (sorted order) are held out; each gives one
    crop of `val_segment_s` from its middle (zero-padded if shorter).
    """
    items = resolve_items(cfg.dataset, limit=limit)
    n_val = min(cfg.holdout, len(items) - 1)
    signals = [load_mono(i.path, sample_rate)[0].astype(np.float32) for i in items]
    train, held = signals[: len(signals) - n_val], signals[len(signals) - n_val:]
    seg = _crop_len(cfg.segment_s, sample_rate, hop)
    if any(len(x) < seg for x in train):
        short = [i.path for i, x in zip(items, train) if len(x) < seg]
        raise ValueError(f"training files shorter than one {cfg.segment_s} s segment: {short}")
    vlen = _crop_len(cfg.val_segment_s, sample_rate, hop)
    val = np.zeros((len(held), 1, vlen), dtype=np.float32)
    for k, x in enumerate(held):
        start = max(0, (len(x) - vlen) // 2)
        chunk = x[start:start + vlen]
        val[k, 0, : len(chunk)] = chunk
    return TrainData(tuple(train), torch.from_numpy(val), tuple(items), len(train), n_val)


def batch_at(data: TrainData, cfg: DataConfig, sample_rate: int, hop: int, seed: int, step: int) -> torch.Tensor:
    """The training batch of `step` [batch_size, 1, segment]: files drawn by length, random offsets."""
    rng = np.random.default_rng([seed, step])
    seg = _crop_len(cfg.segment_s, sample_rate, hop)
    lengths = np.array([len(x) - seg + 1 for x in data.train], dtype=np.float64)
    files = rng.choice(len(data.train), size=cfg.batch_size, p=lengths / lengths.sum())
    out = np.empty((cfg.batch_size, 1, seg), dtype=np.float32)
    for b, f in enumerate(files):
        start = int(rng.integers(0, len(data.train[f]) - seg + 1))
        out[b, 0] = data.train[f][start:start + seg]
    return torch.from_numpy(out)
