"""Throughput, overhead, warm-cache, scaling and memory of the runner."""
from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.audio import load_mono, match_length, resample
from bench.codecs import build_codec, describe_spec, get_spec
from bench.datasets import resolve_items
from bench.perf.measure import run_suite_in_child
from bench.worker import get_metric

# DNSMOS is left out: its ONNX cost (measured by bench.metrics.dnsmos_cost) would
# dominate every figure here and is benchmarked on its own there.
PERF_SUITE = {"name": "perf", "codecs": ["pcm16-16k", "mulaw-8k", "fsq-800"], "datasets": ["speech-16k"],
              "metrics": ["pesq_wb", "stoi", "estoi", "si_sdr", "mel_distance"]}
SCALING_SUITE = {"name": "scaling", "codecs": ["mulaw-8k"], "datasets": ["scaling"],
                 "metrics": ["pesq_wb", "stoi"]}


def library_seconds(suite: dict, max_items: int | None = None) -> dict[str, Any]:
    """Time the codecs' and metric libraries' own calls on the suite's items, serially.

    Audio is read, resampled and aligned before the clock starts, so the sum is
    the work no harness can avoid. Returns per-metric seconds and audio seconds.
    """
    torch.set_num_threads(1)
    per_metric: dict[str, float] = {m: 0.0 for m in suite["metrics"]}
    codec_s = 0.0
    audio_s = 0.0
    metrics = {m: get_metric(m) for m in suite["metrics"]}
    for m in metrics.values():
        m.load()
    for name in suite["codecs"]:
        codec = build_codec(get_spec(name))
        for item in resolve_items(suite["datasets"][0], limit=max_items):
            wav, _ = load_mono(item.path, codec.sample_rate)
            x = torch.from_numpy(wav.astype(np.float32)).view(1, 1, -1)
            t0 = time.perf_counter()
            with torch.inference_mode():
                y = codec.decode(codec.encode(x)).numpy().reshape(-1).astype(np.float64)
            codec_s += time.perf_counter() - t0
            audio_s += len(wav) / codec.sample_rate
            for mname, metric in metrics.items():
                rate = metric.spec.sample_rate or codec.output_sample_rate
                deg, _ = resample(y, codec.output_sample_rate, rate)
                ref = None
                if metric.spec.needs_reference:
                    ref, _ = load_mono(item.path, rate)
                    deg, _ = match_length(deg, len(ref))
                t0 = time.perf_counter()
                try:
                    metric(ref, deg)
                except Exception:
                    pass
                per_metric[mname] += time.perf_counter() - t0
    return {"per_metric_s": per_metric, "codec_s": codec_s, "audio_s": audio_s,
            "total_s": codec_s + sum(per_metric.values())}


def _options(out: Path, workers: int) -> dict:
    return {"out_root": str(out), "workers": workers, "executor": "local", "device": "cpu",
            "progress": False}


def suite_timings(workers_all: int, max_items: int | None = None) -> dict[str, Any]:
    """Cold runs with 1 and all workers, a warm re-run, and the library baseline."""
    suite = dict(PERF_SUITE, max_items=max_items)
    lib = library_seconds(suite, max_items)
    tmp = Path(tempfile.mkdtemp(prefix="bench-perf-"))
    try:
        one = run_suite_in_child(suite, _options(tmp / "w1", 1))
        many = run_suite_in_child(suite, _options(tmp / "wn", workers_all))
        warm = run_suite_in_child(suite, _options(tmp / "wn", workers_all))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    inner_one = one.output["seconds"]
    return {
        "library": lib, "audio_s": lib["audio_s"],
        "cold_1_worker_s": one.seconds, "cold_1_worker_inner_s": inner_one,
        "cold_n_workers_s": many.seconds, "warm_rerun_s": warm.seconds,
        "warm_rerun_inner_s": warm.output["seconds"], "cold_n_inner_s": many.output["seconds"],
        "workers": workers_all, "peak_rss_mib": max(one.peak_rss_mib, many.peak_rss_mib),
    }


def scaling(counts: tuple[int, ...], workers: int) -> list[dict[str, Any]]:
    """Run time and peak memory of a small suite at growing item counts.

    The item pool is the bundled train-52min and speech-16k sets (281 files),
    cycled through symbolic links to reach the largest count.
    """
    pool = [Path(i.path) for ds in ("train-52min", "speech-16k") for i in resolve_items(ds)]
    tmp = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    rows = []
    try:
        root = tmp / "data"
        root.mkdir()
        for k in range(max(counts)):
            src = pool[k % len(pool)]
            (root / f"{k:04d}-{src.stem}{src.suffix}").symlink_to(src)
        for n in counts:
            ds = {"name": "scaling", "glob": "*.flac", "root": str(root), "limit": n}
            m = run_suite_in_child(dict(SCALING_SUITE), _options(tmp / f"out{n}", workers), [ds])
            rows.append({"items": n, "seconds": m.seconds, "peak_rss_mib": m.peak_rss_mib})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def codec_rtf(device: str = "cpu", seconds: float = 10.0) -> list[dict[str, Any]]:
    """Encode and decode real-time factors (compute time / audio time) of available codecs."""
    from bench.codec import WeightsUnavailable
    from bench.codecs import load_codec_specs
    items = resolve_items("speech-16k")
    rows = []
    for spec in load_codec_specs():
        try:
            codec = build_codec(spec, torch.device(device))
        except WeightsUnavailable as exc:
            rows.append({"codec": spec.name, "device": device, "status": "unavailable",
                         "message": str(exc).splitlines()[0]})
            continue
        wav = np.concatenate([load_mono(i.path, codec.sample_rate)[0] for i in items[:3]])
        wav = wav[: int(seconds * codec.sample_rate)]
        x = torch.from_numpy(wav.astype(np.float32)).view(1, 1, -1).to(device)
        with torch.inference_mode():
            codec.decode(codec.encode(x[..., : codec.sample_rate]))        # warm-up
            t0 = time.perf_counter()
            codes = codec.encode(x)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t1 = time.perf_counter()
            codec.decode(codes)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t2 = time.perf_counter()
        dur = len(wav) / codec.sample_rate
        rows.append({"codec": spec.name, "device": device, "status": "ok", "audio_s": dur,
                     "encode_rtf": (t1 - t0) / dur, "decode_rtf": (t2 - t1) / dur,
                     "kbps": describe_spec(spec)["nominal_bitrate"] / 1000})
    return rows


def as_dict(obj: Any) -> Any:
    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj
