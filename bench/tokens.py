"""Dataset-level token statistics rows (utilization, perplexity, entropy, ...).

Codes of every item are read back from the runner's cache and concatenated
along time per (codec, dataset); the pure statistics live in `bench.stats`.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from bench.cache import Cache
from bench.results import TOKEN_ITEM


def collect_codes(cache: Cache, tasks_keys: list[str]) -> np.ndarray | None:
    """Concatenate cached codes [K, F] of items into [N_frames, K]."""
    parts = []
    for key in tasks_keys:
        arrays = cache.get_arrays(key)
        if arrays is not None and "codes" in arrays:
            parts.append(arrays["codes"].T)
    return np.concatenate(parts, axis=0) if parts else None


def stat_rows(stats: Any) -> list[tuple[str, float, str]]:
    """Flatten a `bench.stats.TokenStats` into (metric, value, unit) triples.

    Means over streams come first (utilization, entropy_bits, perplexity,
    sample_size_caveat), then bitrates; per-stream values are suffixed
    ``_q<k>`` when there are several streams, per-field values of implicit
    codebooks ``_f<j>``.
    """
    k = len(stats.codebook_sizes)
    rows = [("utilization", float(np.mean(stats.utilization)), "fraction"),
            ("entropy_bits", float(np.mean(stats.entropy_bits)), "bits/token"),
            ("perplexity", float(np.mean(stats.perplexity)), "codes"),
            ("sample_size_caveat", float(np.mean(stats.sample_size_caveat)), "fraction"),
            ("codebook_size", float(np.mean(stats.codebook_sizes)), "codes"),
            ("entropy_bitrate", stats.entropy_bitrate, "bit/s"),
            ("nominal_bitrate", stats.nominal_bitrate, "bit/s"),
            ("n_frames", float(stats.n_frames), "frames")]
    if k > 1:
        for q in range(k):
            rows += [(f"utilization_q{q}", stats.utilization[q], "fraction"),
                     (f"entropy_bits_q{q}", stats.entropy_bits[q], "bits/token")]
    fields = [f for f in stats.fields if f]
    if fields:
        rows.append(("field_entropy_bitrate", stats.field_entropy_bitrate, "bit/s"))
        for per_stream in fields:
            for f in per_stream:
                rows += [(f"utilization_f{f.field}", f.utilization, "fraction"),
                         (f"entropy_bits_f{f.field}", f.entropy_bits, "bits/token")]
    return rows


def token_metric_rows(plan: Any, cache: Cache) -> list[dict]:
    """One row per (codec, dataset, token statistic), item = TOKEN_ITEM."""
    from bench.stats import token_stats
    from bench.worker import Task
    rows = []
    for codec in plan.codecs:
        if codec.spec.name in plan.unavailable_codecs:
            continue
        for ds, items in plan.items.items():
            keys = [Task(codec, it, (), str(cache.root)).decode_key for it in items]
            codes = collect_codes(cache, keys)
            base = dict(codec=codec.spec.name, family=codec.spec.family, dataset=ds, item=TOKEN_ITEM,
                        bitrate=codec.bitrate, token_rate=codec.token_rate, frame_rate=codec.frame_rate,
                        codec_sample_rate=codec.sample_rate, metric_sample_rate=0,
                        duration_s=0.0, steps="")
            if codes is None:
                rows.append({**base, "metric": "utilization", "value": math.nan, "unit": "fraction",
                             "status": "error", "error": "no codes were produced for any item"})
                continue
            stats = token_stats(codes, codec.codebook_sizes, codec.field_sizes, codec.frame_rate)
            for name, value, unit in stat_rows(stats):
                ok = value is not None and math.isfinite(value)
                rows.append({**base, "metric": name, "value": float(value) if ok else math.nan,
                             "unit": unit, "status": "ok" if ok else "error",
                             "error": "" if ok else "not computable"})
    return rows
