"""Tidy result rows: one per (codec, dataset, item, metric).

Tables and plots are views of these rows. `status` is one of:
- ``ok``: value computed;
- ``warn``: value computed, but the input had a problem worth knowing
  (clipping, DC offset); `error` says what;
- ``invalid``: the item cannot be scored by this metric (silence for PESQ,
  a clip under 0.25 s, NaN samples, an undecodable file); value is NaN;
- ``unavailable``: the codec's or metric's weights are missing; `error` says
  where to put the file;
- ``error``: an unexpected exception (message in `error`); value is NaN.

Dataset-level token statistics (utilization, perplexity, entropy, ...) use the
item id `TOKEN_ITEM`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable

import pandas as pd

STATUSES = ("ok", "warn", "invalid", "unavailable", "error")
TOKEN_ITEM = "(all items)"


@dataclass(frozen=True)
class ResultRow:
    """One tidy result.

    Attributes:
        codec: codec definition name (operating point).
        family: codec family (pcm, dac, trained, ...).
        dataset: dataset name.
        item: item id within the dataset (or TOKEN_ITEM for dataset-level stats).
        metric: metric output name (pesq_wb, dnsmos_ovrl, utilization, ...).
        value: the score (NaN unless status is ok/warn).
        unit: unit of the value.
        status: one of STATUSES.
        error: reason for a non-ok status ('' when ok).
        bitrate: codec nominal bitrate, bits/s.
        token_rate: codec tokens/s.
        frame_rate: codec frames/s.
        codec_sample_rate: the codec's input rate (Hz).
        metric_sample_rate: the rate the metric compared signals at (Hz; 0 if n/a).
        duration_s: item duration (s) at the source.
        steps: the signal steps applied (downmix, resample, trim), ';'-joined.
    """

    codec: str
    family: str
    dataset: str
    item: str
    metric: str
    value: float
    unit: str
    status: str
    error: str
    bitrate: float
    token_rate: float
    frame_rate: float
    codec_sample_rate: int
    metric_sample_rate: int
    duration_s: float
    steps: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status in ("ok", "warn") and not math.isfinite(self.value):
            raise ValueError(f"{self.codec}/{self.item}/{self.metric}: status {self.status} with value {self.value}")


COLUMNS = [f.name for f in fields(ResultRow)]
KEY = ["codec", "dataset", "item", "metric"]


def rows_to_frame(rows: Iterable[ResultRow]) -> pd.DataFrame:
    df = pd.DataFrame([asdict(r) for r in rows], columns=COLUMNS)
    return df.sort_values(KEY, kind="stable").reset_index(drop=True)


def write_results(rows: Iterable[ResultRow], path: str | Path) -> pd.DataFrame:
    """Write rows as CSV atomically (tmp file + rename); returns the frame."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = rows_to_frame(rows)
    tmp = path.with_suffix(path.suffix + ".tmp")
    df.to_csv(tmp, index=False)   # shortest round-trip repr: exact and deterministic
    tmp.replace(path)
    return df


def read_results(path: str | Path) -> pd.DataFrame:
    """Read a results CSV, checking its columns."""
    df = pd.read_csv(path, keep_default_na=False, na_values=[""],
                     dtype={"error": str, "steps": str, "item": str})
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: not a results file, missing columns {missing}")
    df["error"] = df["error"].fillna("")
    df["steps"] = df["steps"].fillna("")
    return df
