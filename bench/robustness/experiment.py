"""The channel experiment: codes -> bits -> noisy channel -> codes -> audio -> scores.

For every (codec, packing scheme, flip probability p, seed, item) the clean
codes of the item are packed (`packing`), sent through a binary symmetric
channel (`channel`), unpacked with the out-of-range rule, decoded and scored
with the runner's own scoring path (`bench.worker._score`: resampling, length
alignment, signal checks and statuses are shared with `run_bench.py run`).

Clean codes and clean decodes come from the runner's content-addressed cache
entries (`Task.decode_key`), so a robustness run next to a suite run reuses
them; p = 0 is scored once per (codec, item, metric) (the channel is then
lossless, see tests/test_channel.py) and its rows are repeated for every
scheme and seed. Every other (codec, scheme, rule, p, seed, item, metric)
result is cached on its own, so an interrupted run resumes where it stopped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from bench.audio import load_mono, match_length
from bench.cache import Cache, content_hash
from bench.codec import Codes, WeightsUnavailable
from bench.robustness.channel import DEFAULT_PS, binary_symmetric_channel, channel_seed
from bench.robustness.packing import make_packing
from bench.worker import MetricRef, Task, _describe, _duration, _encode_decode, _get_codec, _score, failure_rows

VERSION = 1
EXTRA_COLUMNS = ["packing", "rule", "p", "seed", "bits_per_frame", "n_bits", "n_flipped",
                 "n_out_of_range", "n_symbols"]


@dataclass(frozen=True)
class ChannelConfig:
    """What the channel experiment sweeps.

    Attributes:
        ps: bit flip probabilities.
        seeds: channel seeds (one flip pattern per seed, nested across p).
        schemes: packing schemes to run; () means every scheme that applies.
        rule: out-of-range rule ("clamp" or "wrap").
    """

    ps: tuple[float, ...] = DEFAULT_PS
    seeds: tuple[int, ...] = (0, 1, 2)
    schemes: tuple[str, ...] = ()
    rule: str = "clamp"


@dataclass(frozen=True)
class Unit:
    """One codec, one item, one packing scheme: every p and seed of it."""

    task: Task
    scheme: str
    geometry: Any
    config: ChannelConfig

    def row_key(self, p: float, seed: int, metric: MetricRef) -> str:
        return content_hash("robustness", VERSION, self.task.decode_key, self.scheme,
                            self.config.rule, float(p), int(seed), metric.key)

    def clean_key(self, metric: MetricRef) -> str:
        """The runner's own key for the clean decode's rows of `metric`."""
        return self.task.metric_key(metric)


def _extra(unit: Unit, p: float, seed: int, bits_per_frame: int, n_bits: int, n_flipped: int,
           n_oor: int, n_symbols: int) -> dict:
    return {"packing": unit.scheme, "rule": unit.config.rule, "p": float(p), "seed": int(seed),
            "bits_per_frame": bits_per_frame, "n_bits": n_bits, "n_flipped": n_flipped,
            "n_out_of_range": n_oor, "n_symbols": n_symbols}


def _cached(cache: Cache, unit: Unit) -> tuple[list[dict], list[tuple[float, int]]]:
    rows, todo = [], []
    for p in unit.config.ps:
        for seed in unit.config.seeds:
            hits = [cache.get_json(unit.row_key(p, seed, m)) for m in unit.task.metrics]
            if all(h is not None for h in hits):
                rows += [r for h in hits for r in h]
            else:
                todo.append((p, seed))
    return rows, todo


def _clean_rows(unit: Unit, cache: Cache, metric: MetricRef, decoded: np.ndarray, steps: list[str],
                duration: float) -> list[dict]:
    hit = cache.get_json(unit.clean_key(metric))
    if hit is not None:
        return hit
    rows = _score(unit.task, metric, decoded, steps, duration)
    if all(r["status"] in ("ok", "warn", "invalid") for r in rows):
        cache.put_json(unit.clean_key(metric), rows)
    return rows


def run_unit(unit: Unit) -> list[dict]:
    """All rows of one unit (cached ones read back); never raises for per-item problems."""
    task = unit.task
    cache = Cache(task.cache_dir)
    rows, todo = _cached(cache, unit)
    if not todo:
        return rows
    try:
        duration = _duration(task.item.path)
        clean, steps = _encode_decode(task, cache)
        codes_kf = cache.get_arrays(task.decode_key)["codes"]
        codec = _get_codec(task)
        n_samples = len(load_mono(task.item.path, task.codec.sample_rate)[0])
        packing = make_packing(unit.scheme, task.codec.codebook_sizes, task.codec.field_sizes,
                               unit.geometry, unit.config.rule)
        bits = packing.pack(codes_kf[None])
    except WeightsUnavailable as exc:
        return rows + _failed(unit, todo, "unavailable", str(exc))
    except Exception as exc:
        return rows + _failed(unit, todo, "error", f"codec or packing failed: {_describe(exc)}")
    bpf = packing.bits_per_frame
    for p, seed in todo:
        try:
            if p == 0:
                decoded, stats = clean, (bits.size, 0, 0, codes_kf.size)
            else:
                out = binary_symmetric_channel(bits, p, channel_seed(seed, task.codec.spec.name,
                                                                     unit.scheme, task.item.item_id))
                got = packing.unpack(out.bits)
                codes = Codes(torch.from_numpy(got.indices), task.codec.codebook_sizes,
                              task.codec.frame_rate, task.codec.field_sizes, n_samples)
                with torch.inference_mode():
                    y = codec.decode(codes)
                expected = round(n_samples * task.codec.output_sample_rate / task.codec.sample_rate)
                decoded, _ = match_length(y.detach().float().cpu().numpy().reshape(-1), expected)
                decoded = decoded.astype(np.float64)
                stats = (out.n_bits, out.n_flipped, got.n_out_of_range, got.n_symbols)
        except Exception as exc:
            rows += _failed(unit, [(p, seed)], "error", f"channel decode failed: {_describe(exc)}")
            continue
        extra = _extra(unit, p, seed, bpf, *stats)
        for metric in task.metrics:
            try:
                new = (_clean_rows(unit, cache, metric, decoded, steps, duration) if p == 0
                       else _score(task, metric, decoded, steps, duration))
            except Exception as exc:
                new = failure_rows(task, (metric,), "error", f"metric failed: {_describe(exc)}", duration)
            new = [{**r, **extra} for r in new]
            if all(r["status"] in ("ok", "warn", "invalid") for r in new):
                cache.put_json(unit.row_key(p, seed, metric), new)
            rows += new
    return rows


def _failed(unit: Unit, todo: list[tuple[float, int]], status: str, message: str) -> list[dict]:
    rows = []
    for p, seed in todo:
        extra = _extra(unit, p, seed, 0, 0, 0, 0, 0)
        rows += [{**r, **extra} for r in failure_rows(unit.task, unit.task.metrics, status, message)]
    return rows
