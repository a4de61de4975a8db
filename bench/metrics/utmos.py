"""UTMOS (UTMOS22 strong learner) through utmos-pytorch, never downloading.

utmos-pytorch's ``UTMOSScoreTorch`` rebuilds the UTMOS22 strong model
(wav2vec 2.0 base + listener-conditioned BLSTM) without fairseq and loads the
state dict ``utmos_state_dict.pt`` that it would otherwise fetch from the
Hugging Face repo ``Blinorot/UTMOS-PyTorch``. Here the checkpoint is looked up,
first found wins:

1. the environment variable ``BENCH_UTMOS_CKPT`` (a set but missing file is an error);
2. the path given to `Utmos` (from a YAML);
3. the default local file `DEFAULT_PATH` (``.cache/utmos/utmos_state_dict.pt``
   in the repository, git-ignored);
4. the Hugging Face cache, where ``hf_hub_download`` would have put it.

When none exists `Utmos.load` raises `WeightsUnavailable` saying where to put
the file, and the runner writes ``status=unavailable`` rows: UTMOS is never
replaced by another MOS. The checkpoint's sha256 goes into provenance (and is
checked when pinned). utmos-pytorch loads with ``strict=False``; a file
missing any of the model's parameters would silently score with random
weights, so `load_utmos` records the skipped keys and refuses such a file.
Scoring runs one clip at a time (batch size 1) at 16 kHz.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from bench.metrics.base import Metric, MetricSpec, library_version, require_valid
from bench.registry import METRICS

SAMPLE_RATE = 16000
ENV_VAR = "BENCH_UTMOS_CKPT"
HF_REPO = "Blinorot/UTMOS-PyTorch"
HF_FILE = "utmos_state_dict.pt"
DEFAULT_PATH = Path(".cache") / "utmos" / HF_FILE     # relative to the repository root
HF_CACHE_DIR: str | None = None   # None: huggingface_hub's default (honours HF_HOME, HF_HUB_CACHE)


def default_path() -> Path:
    """Absolute `DEFAULT_PATH`."""
    from bench.paths import resolve

    return resolve(DEFAULT_PATH)


def hf_cached_checkpoint() -> Path | None:
    """The checkpoint in the Hugging Face cache, if an earlier download left it there."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(HF_REPO, HF_FILE, cache_dir=HF_CACHE_DIR, repo_type="model")
    return Path(found) if isinstance(found, str) and Path(found).is_file() else None


def _unavailable(message: str) -> Exception:
    from bench.codec import WeightsUnavailable   # bench.codec imports torch: keep imports cheap

    return WeightsUnavailable(f"{message} {_where_to_put()}")


def resolve_checkpoint(path: str | Path | None = None) -> tuple[Path, str]:
    """Find the UTMOS checkpoint without downloading.

    Args:
        path: a configured checkpoint path (relative to the repository root), or None.

    Returns:
        (file, where it was found).

    Raises:
        WeightsUnavailable: saying where to put the file.
    """
    from bench.paths import resolve

    if os.environ.get(ENV_VAR):
        env_path = Path(os.environ[ENV_VAR]).expanduser()
        if not env_path.is_file():
            raise _unavailable(f"UTMOS: {ENV_VAR}={os.environ[ENV_VAR]} is not a file.")
        return env_path, f"${ENV_VAR}"
    if path is not None:
        configured = resolve(path)
        if not configured.is_file():
            raise _unavailable(f"UTMOS: configured checkpoint {configured} is not a file.")
        return configured, "configured path"
    if default_path().is_file():
        return default_path(), "default path"
    cached = hf_cached_checkpoint()
    if cached is not None:
        return cached, "Hugging Face cache"
    raise _unavailable(f"UTMOS (UTMOS22 strong) checkpoint {HF_FILE} not found.")


def _where_to_put() -> str:
    try:
        from huggingface_hub.constants import HF_HUB_CACHE
        hf_cache = f" ({HF_CACHE_DIR or HF_HUB_CACHE})"
    except ImportError:
        hf_cache = ""
    return (f"Put the file at {default_path()} or set {ENV_VAR}=/path/to/{HF_FILE}. "
            f"It is {HF_FILE} from https://huggingface.co/{HF_REPO}; on a machine with internet, "
            f"`huggingface-cli download {HF_REPO} {HF_FILE}` puts it in the Hugging Face cache"
            f"{hf_cache}, which is searched too. The benchmark never downloads it.")


def load_utmos(path: Path, device: str = "cpu"):
    """utmos-pytorch's ``UTMOSScoreTorch`` with the weights in `path`.

    The library loads with ``strict=False``; a post-load hook records what it
    skipped, and a file lacking any model parameter is refused.

    Returns:
        (model in eval mode, number of checkpoint keys the model does not use).

    Raises:
        WeightsUnavailable: unreadable file, wrong shapes, or missing keys (named).
    """
    from utmos_pytorch import UTMOSScoreTorch

    report: dict[str, list[str]] = {}

    class _Recording(UTMOSScoreTorch):
        def load_utmos_weights(self, ckpt_path, device, verbose):
            self.model.register_load_state_dict_post_hook(lambda _, keys: report.update(
                missing=list(keys.missing_keys), unexpected=list(keys.unexpected_keys)))
            super().load_utmos_weights(ckpt_path, device, verbose)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)   # weight_norm deprecation
            model = _Recording(ckpt_path=str(path), device=device)
    except Exception as exc:   # torch raises RuntimeError, UnpicklingError, EOFError, ...
        raise _unavailable(f"UTMOS: {path} is not a loadable UTMOS state dict "
                           f"({type(exc).__name__}: {str(exc)[:300]}).") from exc
    if report["missing"]:
        missing = report["missing"]
        raise _unavailable(f"UTMOS: {path} is not a UTMOS22 strong state dict: {len(missing)} "
                           f"model parameters missing (e.g. {', '.join(missing[:3])}).")
    return model, len(report["unexpected"])


def utmos_score(model, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """UTMOS MOS (about 1-5) of one 16 kHz clip [T] with a loaded model (batch size 1).

    Raises:
        ItemError: silent, shorter than 0.25 s, or NaN/Inf samples.
        ValueError: `sample_rate` is not 16000 Hz.
    """
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"UTMOS needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    require_valid(sample_rate, None, audio)
    import torch

    wav = torch.as_tensor(np.asarray(audio), dtype=torch.float32, device=model.device)
    with torch.inference_mode():
        return float(model.score(wav.view(1, 1, -1))[0])


class Utmos(Metric):
    """UTMOS22 strong; `load` raises `WeightsUnavailable` without a checkpoint.

    Args:
        ckpt_path: checkpoint from a YAML (after ``BENCH_UTMOS_CKPT``).
        sha256: pinned hash (full or 8+ hex prefix); a mismatch is an error.
        device: torch device; default `bench.device.pick_device()`.
    """

    spec = MetricSpec(
        name="utmos", unit="MOS", higher_is_better=True, needs_reference=False,
        sample_rate=SAMPLE_RATE, version=f"{library_version('utmos-pytorch')}/1",
        outputs=("utmos",),
        description="UTMOS22 strong learner (utmos-pytorch), no reference, batch size 1",
        family="UTMOS22-strong")

    def __init__(self, ckpt_path: str | Path | None = None, sha256: str | None = None,
                 device: str | None = None):
        self.ckpt_path, self.sha256, self.device = ckpt_path, sha256, device
        self.model = None
        self._loaded: dict = {}

    def load(self) -> None:
        from bench.device import pick_device
        from bench.weights import ChecksumMismatch, verify_checksum

        path, found = resolve_checkpoint(self.ckpt_path)
        try:
            digest = verify_checksum(path, self.sha256)
        except ChecksumMismatch as exc:
            raise _unavailable(f"UTMOS: {exc}.") from exc
        device = str(pick_device(self.device))
        wanted = {"checkpoint": str(path), "sha256": digest, "device": device}
        if self.model is None or {k: self._loaded.get(k) for k in wanted} != wanted:
            self.model, unexpected = load_utmos(path, device)
            self._loaded = {**wanted, "found_in": found, "unexpected_keys": unexpected}

    def provenance(self) -> dict:
        return {**super().provenance(), "library": library_version("utmos-pytorch"),
                **self._loaded}

    def compute(self, ref, deg):
        if self.model is None:
            self.load()
        return {"utmos": utmos_score(self.model, deg)}


METRICS.add("utmos", Utmos())
