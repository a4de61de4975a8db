"""Audio clips for the listening page: find the cached decoded audio, write it.

Decoded clips are the runner's cached decoder output (`Task.decode_key`
entries: float32 mono at the codec's output rate), written as 16-bit FLAC at
that same rate with the loudness untouched: no normalization, no resampling.
Samples beyond full scale are clipped for 16 bits and the clip says how many.
The reference clip is the original file itself (copied byte for byte when the
browser can play it as is), so listeners hear exactly what the codec was fed
before any down-mix or resampling.
"""
from __future__ import annotations

import dataclasses
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.cache import Cache
from bench.config import SuiteSpec
from bench.datasets import Item

CLIP_FORMAT = "FLAC"
CLIP_SUBTYPE = "PCM_16"
# (container, subtype) pairs Chromium and Firefox play from disk; others are converted.
PLAYABLE = {("FLAC", "PCM_16"), ("FLAC", "PCM_24"), ("WAV", "PCM_16"), ("WAV", "PCM_24"),
            ("OGG", "VORBIS"), ("OGG", "OPUS")}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Clip:
    """One audio file of the page.

    Attributes:
        path: file path relative to the page folder, POSIX separators.
        sample_rate: Hz.
        channels: channel count.
        seconds: duration (s).
        encoding: container and sample format, e.g. "FLAC 16-bit".
        note: what was done to the samples ('' when nothing), e.g. clipping.
    """

    path: str
    sample_rate: int
    channels: int
    seconds: float
    encoding: str
    note: str = ""

    @property
    def description(self) -> str:
        """e.g. "16 kHz mono, FLAC 16-bit"."""
        rate = f"{self.sample_rate / 1000:g} kHz"
        layout = {1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels} ch")
        return f"{rate} {layout}, {self.encoding}"


@dataclass(frozen=True)
class AudioSources:
    """Where the suite's audio is: codecs' cache keys and the items' files.

    Attributes:
        codecs: codec name -> `bench.worker.CodecInfo` for available codecs.
        unavailable: codec name -> reason (missing weights, ...).
        items: (dataset, item id) -> `bench.datasets.Item`.
        cache: the suite's runner cache.
    """

    codecs: dict
    unavailable: dict[str, str]
    items: dict[tuple[str, str], Item]
    cache: Cache


def safe_name(name: str) -> str:
    """A file-name-safe version of a codec or item name (no slashes or spaces)."""
    cleaned = _UNSAFE.sub("_", name).strip("._")
    return cleaned or "_"


def locate_sources(suite: SuiteSpec, suite_dir: Path, dataset_roots: dict[str, str] | None = None
                   ) -> AudioSources:
    """Plan the suite again (no metrics, all items) to find the cache keys.

    The codec keys are content hashes of the codec definitions and weights, so
    a codec whose definition changed since the run simply has no cached audio.

    Raises:
        bench.runner.PreflightError: the suite's codecs or datasets cannot be resolved.
    """
    from bench.runner import RunOptions, plan_suite, suite_cache
    plan = plan_suite(dataclasses.replace(suite, metrics=(), max_items=None),
                      RunOptions(out_root=str(suite_dir.parent), dataset_roots=dataset_roots or {},
                                 progress=False))
    items = {(it.dataset, it.item_id): it for its in plan.items.values() for it in its}
    return AudioSources({c.spec.name: c for c in plan.codecs}, dict(plan.unavailable_codecs), items,
                        suite_cache(suite_dir))


def cached_decoded(sources: AudioSources, codec: str, dataset: str, item: str) -> np.ndarray | None:
    """The cached decoded signal [T] (float32, codec output rate), or None when absent."""
    from bench.worker import Task
    info, it = sources.codecs.get(codec), sources.items.get((dataset, item))
    if info is None or it is None:
        return None
    arrays = sources.cache.get_arrays(Task(info, it, (), str(sources.cache.root)).decode_key)
    return None if arrays is None else arrays["decoded"]


def to_pcm16(samples: np.ndarray) -> tuple[np.ndarray, int]:
    """Float samples in [-1, 1] to int16 (x 32768, rounded), clipping beyond full scale.

    Returns:
        (int16 array of the same shape, number of samples that were clipped).

    Raises:
        ValueError: the signal holds NaN or Inf.
    """
    x = np.asarray(samples, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("signal contains NaN or Inf samples; cannot write a clip")
    scaled = np.round(x * 32768.0)
    n_clipped = int(np.count_nonzero((scaled > 32767) | (scaled < -32768)))
    return np.clip(scaled, -32768, 32767).astype(np.int16), n_clipped


def write_decoded(samples: np.ndarray, sample_rate: int, page_dir: Path, rel: str) -> Clip:
    """Write a mono decoded signal as 16-bit FLAC at `sample_rate` (Hz), loudness untouched."""
    pcm, n_clipped = to_pcm16(samples)
    dest = page_dir / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(dest), pcm, int(sample_rate), format=CLIP_FORMAT, subtype=CLIP_SUBTYPE)
    note = f"{n_clipped} samples beyond full scale clipped for 16-bit" if n_clipped else ""
    return Clip(rel, int(sample_rate), 1, len(pcm) / sample_rate, "FLAC 16-bit", note)


def write_reference(source: str | Path, page_dir: Path, rel_stem: str) -> Clip:
    """The original file: copied unchanged if playable, else re-encoded as 16-bit FLAC.

    Args:
        source: the dataset item's file.
        page_dir: the page folder.
        rel_stem: destination relative to `page_dir`, without extension.
    """
    info = sf.info(str(source))
    bits = {"PCM_16": "16-bit", "PCM_24": "24-bit"}.get(info.subtype, info.subtype)
    if (info.format, info.subtype) in PLAYABLE:
        rel = rel_stem + Path(source).suffix.lower()
        (page_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, page_dir / rel)
        return Clip(rel, info.samplerate, info.channels, info.frames / info.samplerate,
                    f"{info.format} {bits}", "original file, unchanged")
    data, sr = sf.read(str(source), dtype="float64", always_2d=True)
    pcm, n_clipped = to_pcm16(data)
    rel = rel_stem + ".flac"
    (page_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(page_dir / rel), pcm, sr, format=CLIP_FORMAT, subtype=CLIP_SUBTYPE)
    note = f"original {info.format} {info.subtype} re-encoded as FLAC 16-bit"
    if n_clipped:
        note += f"; {n_clipped} samples beyond full scale clipped"
    return Clip(rel, sr, info.channels, info.frames / sr, "FLAC 16-bit", note)
