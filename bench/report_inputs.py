"""Inputs for the report that only the runner's cache holds.

The tidy rows carry scores; code-usage histograms, Q2D2 occupancy maps and the
spectrogram panel need the cached codes and decoded audio of each (codec,
item). This module reads them back for `write_report(extra=...)`.
"""
from __future__ import annotations

import numpy as np

from bench.audio import load_mono
from bench.codecs import describe_spec, get_spec
from bench.config import SuiteSpec
from bench.datasets import resolve_items
from bench.runner import RunOptions, _codec_info, suite_cache
from bench.tokens import collect_codes
from bench.worker import Task


def _occupancy(info: dict, codes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Per-pair (grid points, counts) for a Q2D2 codec, else None."""
    q = info.get("quantizer") or {}
    if q.get("name") != "q2d2" or not info.get("field_sizes"):
        return None
    import torch

    from bench.quantizers import build_quantizer_from_config
    from bench.quantizers.base import mixed_radix_decode
    from bench.reports.usage import occupancy_from_digits
    quantizer = build_quantizer_from_config(dict(q), input_dim=2 * len(info["field_sizes"][0]))
    digits = mixed_radix_decode(torch.from_numpy(codes[:, 0]), info["field_sizes"][0]).numpy()
    points = [quantizer.pair_points(p).double().numpy() for p in range(quantizer.n_pairs)]
    return occupancy_from_digits(digits, points)


def gather_extras(suite: SuiteSpec, out_dir, opts: RunOptions | None = None,
                  spectrogram_codecs: int = 6) -> dict:
    """counts_by_codec, occupancy_maps and one spectrogram panel from the cache."""
    from bench.reports.usage import code_counts
    opts = opts or RunOptions()
    cache = suite_cache(out_dir)
    problems: list[str] = []
    unavailable: dict[str, str] = {}
    infos = [i for i in (_codec_info(n, problems, unavailable) for n in suite.codecs) if i]
    dataset = suite.datasets[0]
    items = resolve_items(dataset, root_override=opts.dataset_roots.get(dataset),
                          limit=opts.max_items or suite.max_items)
    counts, occupancy, spectro = {}, {}, {}
    first = items[0]
    ref, _ = load_mono(first.path, 16000)
    spectro[f"reference ({first.item_id})"] = (ref, 16000)
    for info in infos:
        keys = [Task(info, it, (), str(cache.root)).decode_key for it in items]
        codes = collect_codes(cache, keys)
        if codes is None:
            continue
        described = describe_spec(get_spec(info.spec.name))
        if max(info.codebook_sizes) <= 2 ** 17:       # skip PCM-sized alphabets
            per_stream = code_counts(codes, info.codebook_sizes)
            if len(set(len(c) for c in per_stream)) == 1:
                counts[info.spec.name] = np.stack(per_stream)
        occ = _occupancy(described, codes)
        if occ:
            occupancy[info.spec.name] = occ
        hit = cache.get_arrays(keys[0])
        if hit is not None and len(spectro) <= spectrogram_codecs:
            spectro[info.spec.name] = (hit["decoded"].astype(np.float64), info.output_sample_rate)
    extra = {"spectrograms": {first.item_id: spectro}}
    if counts:
        extra["counts_by_codec"] = counts
    if occupancy:
        extra["occupancy_maps"] = occupancy
    return extra


def suite_report_options(suite: SuiteSpec) -> dict:
    """The report settings a suite declares (compare_kbps, reference, grid_ablation,
    seed_reference), as `extra`.

    The grid ablation also gets each trained codec's quantizer block, read
    from its training config (no weights, no cache).
    """
    extra: dict = {}
    if suite.compare_kbps:
        extra["targets_kbps"] = list(suite.compare_kbps)
        extra["reference"] = suite.reference
    if suite.seed_reference:
        extra["seed_reference"] = suite.seed_reference
    if suite.grid_ablation:
        extra["grid_ablation"] = True
        extra["quantizers"] = {name: described["quantizer"] for name in suite.codecs
                               if "quantizer" in (described := describe_spec(get_spec(name)))}
    return extra
