"""The unit of work a runner worker executes: one codec on one item.

A `Task` is picklable and self-contained. Workers keep built codecs and loaded
metrics in process-level dictionaries, so models load once per worker, not once
per item. Decoded audio and codes are cached per (codec, item); metric rows are
cached per (codec, item, metric), so adding a metric reuses decoded audio.
"""
from __future__ import annotations

import math
import os
import traceback
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from bench.audio import AudioError, load_mono, match_length, resample
from bench.cache import Cache, content_hash
from bench.codec import WeightsUnavailable
from bench.config import CodecSpec
from bench.datasets import Item
from bench.results import ResultRow

_CODECS: dict[str, Any] = {}
_METRICS: dict[str, Any] = {}


@dataclass(frozen=True)
class CodecInfo:
    """What rows need to know about a codec, computed once in the main process."""

    spec: CodecSpec
    key: str                  # content hash of spec + weights
    sample_rate: int
    output_sample_rate: int
    frame_rate: float
    bitrate: float
    token_rate: float
    codebook_sizes: tuple[int, ...] = ()
    field_sizes: tuple[tuple[int, ...], ...] | None = None


@dataclass(frozen=True)
class MetricRef:
    name: str                 # registry name
    outputs: tuple[str, ...]
    unit: str
    sample_rate: int | None
    needs_reference: bool
    key: str                  # content hash of name + version + weights


@dataclass(frozen=True)
class Task:
    codec: CodecInfo
    item: Item
    metrics: tuple[MetricRef, ...]
    cache_dir: str
    device: str = "cpu"

    @property
    def decode_key(self) -> str:
        return content_hash("decode", self.codec.key, self.item.sha256)

    def metric_key(self, metric: MetricRef) -> str:
        return content_hash("metric", self.decode_key, metric.key)


def get_metric(name: str) -> Any:
    """The registered Metric object called `name` (imports the metrics package)."""
    import bench.metrics  # noqa: F401  (registers every metric)
    from bench.registry import METRICS, load_plugins
    load_plugins()
    return METRICS.get(name)


def init_worker(threads: int = 1) -> None:
    """Process initializer: one torch thread per worker (workers use the cores)."""
    torch.set_num_threads(threads)


def _row(task: Task, metric: str, unit: str, value: float, status: str, error: str,
         metric_sr: int, duration: float, steps: list[str]) -> dict:
    c = task.codec
    return asdict(ResultRow(
        codec=c.spec.name, family=c.spec.family, dataset=task.item.dataset, item=task.item.item_id,
        metric=metric, value=float(value), unit=unit, status=status, error=error,
        bitrate=c.bitrate, token_rate=c.token_rate, frame_rate=c.frame_rate,
        codec_sample_rate=c.sample_rate, metric_sample_rate=metric_sr,
        duration_s=round(duration, 6), steps=";".join(steps)))


def failure_rows(task: Task, metrics: tuple[MetricRef, ...], status: str, error: str,
                 duration: float = 0.0, steps: list[str] | None = None) -> list[dict]:
    """Rows with a non-ok status for every output of `metrics`."""
    return [_row(task, out, m.unit, math.nan, status, error, m.sample_rate or 0, duration, steps or [])
            for m in metrics for out in m.outputs]


def _once(store: dict[str, Any], key: str, make: Any) -> Any:
    """Per-process memo of `make()`; a WeightsUnavailable is remembered and re-raised."""
    if key not in store:
        try:
            store[key] = make()
        except WeightsUnavailable as exc:
            store[key] = exc
    value = store[key]
    if isinstance(value, Exception):
        raise value
    return value


def _get_codec(task: Task) -> Any:
    from bench.codecs import build_codec
    return _once(_CODECS, task.codec.key,
                 lambda: build_codec(task.codec.spec, torch.device(task.device)))


def _load_metric(name: str) -> Any:
    metric = get_metric(name)
    metric.load()
    return metric


def _get_metric(name: str) -> Any:
    return _once(_METRICS, name, lambda: _load_metric(name))


def _encode_decode(task: Task, cache: Cache) -> tuple[np.ndarray, list[str]]:
    """Decoded audio at the codec's output rate, from cache or by running the codec."""
    hit = cache.get_arrays(task.decode_key)
    if hit is not None:
        return hit["decoded"].astype(np.float64), [str(s) for s in hit["steps"]]
    wav, steps = load_mono(task.item.path, task.codec.sample_rate)
    if not np.all(np.isfinite(wav)):
        raise AudioError(f"{task.item.path}: input contains NaN or Inf samples; cannot encode")
    codec = _get_codec(task)
    x = torch.from_numpy(wav.astype(np.float32)).view(1, 1, -1).to(task.device)
    with torch.inference_mode():
        codes = codec.encode(x)
        y = codec.decode(codes)
    decoded = y.detach().float().cpu().numpy().reshape(-1)
    expected = round(len(wav) * task.codec.output_sample_rate / task.codec.sample_rate)
    decoded, fix = match_length(decoded, expected)
    if fix:
        steps = steps + [f"codec output {fix}"]
    indices = codes.indices[0].detach().cpu().numpy().astype(np.int64)   # [K, F]
    cache.put_arrays(task.decode_key, decoded=decoded.astype(np.float32), codes=indices,
                     steps=np.array(steps, dtype=str))
    return decoded.astype(np.float64), steps


def _reference(path: str, rate: int, refs: dict | None) -> tuple[np.ndarray, list[str]]:
    """The item's reference at `rate`, read and resampled once per task when `refs` is given."""
    if refs is None:
        return load_mono(path, rate)
    if rate not in refs:
        refs[rate] = load_mono(path, rate)
    return refs[rate]


def _score(task: Task, metric: MetricRef, decoded: np.ndarray, codec_steps: list[str],
           duration: float, refs: dict | None = None) -> list[dict]:
    """Rows of one metric on decoded audio; `refs` memoizes references by rate across metrics."""
    from bench.metrics.base import ItemError, check_signal
    sr_out = task.codec.output_sample_rate
    rate = metric.sample_rate or sr_out
    steps = list(codec_steps)
    deg, s = resample(decoded, sr_out, rate)
    if s:
        steps.append(f"decoded {s}")
    ref = None
    warnings_: list[str] = []
    try:
        if metric.needs_reference:
            ref, ref_steps = _reference(task.item.path, rate, refs)
            steps += [f"reference {x}" for x in ref_steps]
            deg, fix = match_length(deg, len(ref))
            if fix:
                steps.append(f"decoded {fix} to reference length")
            warnings_ += check_signal(ref, rate, what="reference")
        warnings_ += check_signal(deg, rate, what="decoded")
        m = _get_metric(metric.name)
        values = m(ref, deg)
    except ItemError as exc:
        reason = f"{os.path.basename(task.item.path)}: {exc}"
        return failure_rows(task, (metric,), "invalid", reason, duration, steps)
    status, note = ("warn", "; ".join(warnings_)) if warnings_ else ("ok", "")
    rows = []
    for out in metric.outputs:
        v = float(values[out])
        if math.isfinite(v):
            rows.append(_row(task, out, metric.unit, v, status, note, rate, duration, steps))
        else:
            rows.append(_row(task, out, metric.unit, math.nan, "error",
                             f"metric returned {v}", rate, duration, steps))
    return rows


def run_task(task: Task) -> list[dict]:
    """Encode, decode and score one item; never raises for per-item problems.

    Returns:
        Row dicts (ResultRow fields) for every output of every metric. Rows
        with status ok/warn/invalid are cached; unavailable and error rows are
        not, so they are retried on the next run.
    """
    cache = Cache(task.cache_dir)
    rows: list[dict] = []
    todo = []
    for metric in task.metrics:
        hit = cache.get_json(task.metric_key(metric))
        if hit is None:
            todo.append(metric)
        else:
            rows += hit
    if not todo:
        return rows
    try:
        duration = _duration(task.item.path)
        decoded, steps = _encode_decode(task, cache)
    except AudioError as exc:
        new = failure_rows(task, tuple(todo), "invalid", str(exc))
        for metric in todo:   # a bad file stays bad: cache its invalid rows
            cache.put_json(task.metric_key(metric), [r for r in new if r["metric"] in metric.outputs])
        return rows + new
    except WeightsUnavailable as exc:
        return rows + failure_rows(task, tuple(todo), "unavailable", str(exc))
    except Exception as exc:  # codec crashed on this item
        return rows + failure_rows(task, tuple(todo), "error", f"codec failed: {_describe(exc)}")
    refs: dict = {}
    for metric in todo:
        try:
            new = _score(task, metric, decoded, steps, duration, refs)
        except WeightsUnavailable as exc:
            rows += failure_rows(task, (metric,), "unavailable", str(exc), duration, steps)
            continue
        except Exception as exc:
            rows += failure_rows(task, (metric,), "error", f"metric failed: {_describe(exc)}",
                                 duration, steps)
            continue
        if all(r["status"] in ("ok", "warn", "invalid") for r in new):
            cache.put_json(task.metric_key(metric), new)
        rows += new
    return rows


def _duration(path: str) -> float:
    import soundfile as sf
    try:
        info = sf.info(path)
        return info.frames / info.samplerate
    except Exception:
        return 0.0


def _describe(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {tb[-1].filename.split('/')[-1]}:{tb[-1].lineno}" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"
