"""Running the locality probes on codecs (the pure comparison is in `locality`).

- Noise probe: per (codec, item), the clean codes (the runner's cached ones)
  against the codes of the item plus white noise at each SNR.
- Seed-pair probe: per item, the codes of two trained codecs whose training
  configs are identical except for the seed (and the name), found by
  `find_seed_pairs`. Without such a pair the probe is reported as not run.

Both cache their rows per (codec(s), item, condition), so re-runs are free.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from bench.audio import load_mono
from bench.cache import Cache, content_hash
from bench.codec import WeightsUnavailable
from bench.robustness.locality import NOISE_SNRS_DB, add_white_noise, compare_codes, locality_rows
from bench.worker import Task, _describe, _encode_decode, _get_codec

VERSION = 1


@dataclass(frozen=True)
class NoiseUnit:
    task: Task
    geometry: Any
    snrs_db: tuple[float, ...] = NOISE_SNRS_DB
    seed: int = 0

    def key(self, snr: float) -> str:
        return content_hash("locality-noise", VERSION, self.task.decode_key, float(snr), self.seed)


@dataclass(frozen=True)
class PairUnit:
    task_a: Task
    task_b: Task
    geometry: Any

    @property
    def key(self) -> str:
        return content_hash("locality-pair", VERSION, self.task_a.decode_key, self.task_b.decode_key)


def _clean_codes(task: Task, cache: Cache) -> np.ndarray:
    _encode_decode(task, cache)
    return cache.get_arrays(task.decode_key)["codes"]


def _keys(task: Task, probe: str, condition: str, codec: str | None = None) -> dict:
    return {"codec": codec or task.codec.spec.name, "dataset": task.item.dataset,
            "item": task.item.item_id, "probe": probe, "condition": condition}


def _error_row(keys: dict, message: str) -> list[dict]:
    return [{**keys, "field": "all", "measure": "error", "value": float("nan"), "error": message}]


def run_noise_unit(unit: NoiseUnit) -> list[dict]:
    """Locality rows of one codec on one item at every SNR."""
    task = unit.task
    cache = Cache(task.cache_dir)
    rows, todo = [], []
    for snr in unit.snrs_db:
        hit = cache.get_json(unit.key(snr))
        rows += hit if hit is not None else []
        if hit is None:
            todo.append(snr)
    if not todo:
        return rows
    c = task.codec
    try:
        clean = _clean_codes(task, cache)
        codec = _get_codec(task)
        wav, _ = load_mono(task.item.path, c.sample_rate)
    except WeightsUnavailable:
        return rows
    except Exception as exc:
        return rows + _error_row(_keys(task, "noise", "setup"), _describe(exc))
    for snr in todo:
        keys = _keys(task, "noise", f"{snr:g} dB")
        try:
            noisy = add_white_noise(wav, snr, unit.seed).astype(np.float32)
            with torch.inference_mode():
                codes = codec.encode(torch.from_numpy(noisy).view(1, 1, -1).to(task.device))
            got = codes.indices[0].cpu().numpy()
            new = locality_rows(compare_codes(clean, got, c.codebook_sizes, c.field_sizes, unit.geometry), **keys)
            new = [{**r, "error": ""} for r in new]
            cache.put_json(unit.key(snr), new)
        except Exception as exc:
            new = _error_row(keys, _describe(exc))
        rows += new
    return rows


def run_pair_unit(unit: PairUnit) -> list[dict]:
    """Locality rows between two seed-twin codecs on one item."""
    a, b = unit.task_a, unit.task_b
    cache = Cache(a.cache_dir)
    hit = cache.get_json(unit.key)
    if hit is not None:
        return hit
    keys = _keys(a, "seed-pair", f"{a.codec.spec.name} vs {b.codec.spec.name}",
                 codec=f"{a.codec.spec.name} vs {b.codec.spec.name}")
    try:
        ca, cb = _clean_codes(a, cache), _clean_codes(b, cache)
        c = a.codec
        rows = [{**r, "error": ""} for r in
                locality_rows(compare_codes(ca, cb, c.codebook_sizes, c.field_sizes, unit.geometry), **keys)]
    except Exception as exc:
        return _error_row(keys, _describe(exc))
    cache.put_json(unit.key, rows)
    return rows


def seed_twin_key(spec) -> str | None:
    """The training config of a trained codec without its name, seed and file (None if not trained)."""
    if spec.family != "trained":
        return None
    from bench.codecs.trained import _config
    cfg = dataclasses.asdict(_config(spec))
    seed = cfg.pop("seed", None)
    for key in ("name", "source_file", "rung_bps"):
        cfg.pop(key, None)
    return json.dumps(cfg, sort_keys=True, default=str) if seed is not None else None


def find_seed_pairs(specs) -> list[tuple[str, str]]:
    """Pairs (a, b) of trained codec names whose configs differ only in seed (and name).

    Args:
        specs: `CodecSpec`s to search (codecs with missing weights should be left out).
    """
    from bench.codecs.trained import _config
    groups: dict[str, list[tuple[int, str]]] = {}
    for spec in specs:
        try:
            key = seed_twin_key(spec)
        except Exception:
            continue
        if key is not None:
            groups.setdefault(key, []).append((_config(spec).seed, spec.name))
    pairs = []
    for members in groups.values():
        members.sort()
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                if members[i][0] != members[j][0]:
                    pairs.append((members[i][1], members[j][1]))
    return sorted(pairs)
