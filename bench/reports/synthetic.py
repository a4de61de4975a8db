"""Synthetic tidy results with known structure, for tests and report previews.

Six operating points in four groups (pcm reference, dac, fsq, q2d2-rhombic)
on one dataset. Per-item scores are ``base + item effect + noise``, so means
are known and paired differences are much tighter than unpaired spreads.
Every non-ok status appears: UTMOS is unavailable everywhere (missing
weights), one fsq-800 item is invalid for PESQ (silent reference), one
q2d2-rhombic-1500 item errored on STOI, one dac item has a clipping warning.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bench.results import TOKEN_ITEM, ResultRow, rows_to_frame

UTMOS_WHY = ("UTMOS weights missing: put the file at ~/.cache/bench/utmos22_strong.pt "
             "or set BENCH_UTMOS_WEIGHTS")
# codec: (family, bitrate b/s, token rate /s, codebook size, utilization)
OPERATING_POINTS = {
    "pcm-16bit": ("pcm", 256_000.0, 16_000.0, 65536.0, 0.41),
    "dac-6kbps": ("dac", 6_000.0, 600.0, 1024.0, 0.97),
    "fsq-800": ("trained", 800.0, 75.0, 2048.0, 0.88),
    "fsq-1500": ("trained", 1500.0, 150.0, 1024.0, 0.93),
    "q2d2-rhombic-800": ("trained", 800.0, 75.0, 2048.0, 0.95),
    "q2d2-rhombic-1500": ("trained", 1500.0, 150.0, 1024.0, 0.98),
}
# metric: (unit, {codec: base value})
BASES = {
    "pesq_wb": ("MOS-LQO", {"pcm-16bit": 4.64, "dac-6kbps": 3.40, "fsq-800": 2.10, "fsq-1500": 2.60,
                            "q2d2-rhombic-800": 2.30, "q2d2-rhombic-1500": 2.61}),
    "stoi": ("", {"pcm-16bit": 1.0, "dac-6kbps": 0.93, "fsq-800": 0.84, "fsq-1500": 0.88,
                  "q2d2-rhombic-800": 0.86, "q2d2-rhombic-1500": 0.885}),
    "mel_distance": ("", {"pcm-16bit": 0.0, "dac-6kbps": 0.9, "fsq-800": 1.6, "fsq-1500": 1.3,
                          "q2d2-rhombic-800": 1.5, "q2d2-rhombic-1500": 1.25}),
}


def _row(codec: str, dataset: str, item: str, metric: str, value: float, unit: str,
         status: str = "ok", error: str = "") -> ResultRow:
    family, bitrate, token_rate, _, _ = OPERATING_POINTS[codec]
    return ResultRow(codec=codec, family=family, dataset=dataset, item=item, metric=metric,
                     value=value, unit=unit, status=status, error=error, bitrate=bitrate,
                     token_rate=token_rate, frame_rate=token_rate, codec_sample_rate=16000,
                     metric_sample_rate=0 if item == TOKEN_ITEM else 16000, duration_s=3.0,
                     steps="")


def synthetic_rows(n_items: int = 8, dataset: str = "speech", seed: int = 0) -> list[ResultRow]:
    """The rows described in the module docstring (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    items = [f"utt{i:02d}" for i in range(n_items)]
    effect = {m: rng.normal(0.0, 0.3 if m != "stoi" else 0.02, n_items) for m in BASES}
    rows = []
    for codec, (_, _, _, size, util) in OPERATING_POINTS.items():
        rows.append(_row(codec, dataset, TOKEN_ITEM, "codebook_size", size, "codes"))
        rows.append(_row(codec, dataset, TOKEN_ITEM, "utilization", util, "fraction"))
        for metric, (unit, base) in BASES.items():
            noise = rng.normal(0.0, 0.01, n_items)
            for i, item in enumerate(items):
                value = base[codec] if codec == "pcm-16bit" else base[codec] + effect[metric][i] + noise[i]
                if metric == "pesq_wb" and codec == "fsq-800" and i == 0:
                    rows.append(_row(codec, dataset, item, metric, math.nan, unit, "invalid",
                                     "reference is silent (peak digital silence < -80 dBFS)"))
                elif metric == "stoi" and codec == "q2d2-rhombic-1500" and i == 1:
                    rows.append(_row(codec, dataset, item, metric, math.nan, unit, "error",
                                     "RuntimeError: boom"))
                elif metric == "stoi" and codec == "dac-6kbps" and i == 2:
                    rows.append(_row(codec, dataset, item, metric, value, unit, "warn",
                                     "degraded clipped: 0.5% samples at |x|>=0.999"))
                else:
                    rows.append(_row(codec, dataset, item, metric, value, unit))
        for item in items:
            rows.append(_row(codec, dataset, item, "utmos", math.nan, "MOS", "unavailable", UTMOS_WHY))
    return rows


def synthetic_results(n_items: int = 8, dataset: str = "speech", seed: int = 0) -> pd.DataFrame:
    """`synthetic_rows` as a tidy frame in `bench.results` column order."""
    return rows_to_frame(synthetic_rows(n_items, dataset, seed))
