"""NeuCodec adapter (optional extra ``[neucodec]``): FSQ speech codes at 50 Hz, 800 bit/s.

NeuCodec (Neuphonic, built on X-Codec 2.0) takes 16 kHz audio and decodes at
24 kHz. One stream of finite-scalar-quantised codes, 8 dimensions of 4 levels
each (4^8 = 65,536 codes, 16 bits), at 50 frames/s: 800 bit/s, 50 tokens/s.
The runner resamples the input to 16 kHz and compares the 24 kHz output with
a 24 kHz reference (`output_sample_rate`).

The package pulls transformers, torchao, torchtune and vector-quantize-pytorch,
so it is an optional extra and imported only when a NeuCodec row runs; without
it the rows are ``status=unavailable`` with a message naming the extra. Its
constructor also loads the facebook/w2v-bert-2.0 (or ntu-spml/distilhubert)
semantic model through the Hugging Face cache, so both repositories must be
cached for offline use.

Alignment: `NeuCodec.encode_code` pads the input with 320 - (T mod 320) zeros
(always at least one), so F = floor(T / 320) + 1 frames; the decoder returns
F x 480 samples at 24 kHz, cut to round(1.5 T) with no shift.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from bench.codec import Codes, WeightsUnavailable
from bench.config import CodecSpec
from bench.codecs.pretrained import (OperatingPoint, PretrainedCodec, WeightsPlan, choose,
                                     load_state_checked, read_params, shared_model)
from bench.registry import CODEC_FAMILIES

FSQ_LEVELS = (4,) * 8
HUB_REPOS = {"neucodec": "neuphonic/neucodec", "distill-neucodec": "neuphonic/distill-neucodec"}
# Checkpoint keys the library drops before loading (NeuCodec._from_pretrained).
IGNORED_KEYS = {"neucodec": ("fc_post_s", "SemanticDecoder"), "distill-neucodec": ()}
INSTALL_HINT = "pip install -e '.[neucodec]' (pulls transformers, torchao, torchtune)"


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache folder (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface")
    return Path(home) / "hub"


def hub_snapshot_files(repo: str, filename: str) -> tuple[Path, ...]:
    """Cached copies of `filename` from hub repo `repo`, newest first (may be none)."""
    folder = hf_hub_cache() / f"models--{repo.replace('/', '--')}" / "snapshots"
    return tuple(sorted(folder.glob(f"*/{filename}"), key=lambda p: p.stat().st_mtime, reverse=True))


def package_missing() -> str | None:
    """Why the neucodec package cannot be imported (without importing it), or None."""
    if "neucodec" in sys.modules:
        return None
    try:
        found = importlib.util.find_spec("neucodec")
    except (ImportError, ValueError):
        found = None
    if found is None:
        return f"the neucodec package is not installed; install the [neucodec] extra: {INSTALL_HINT}"
    return None


@CODEC_FAMILIES.register("neucodec")
@dataclass(eq=False)
class NeuCodecCodec(PretrainedCodec):
    """NeuCodec (params: model = neucodec | distill-neucodec)."""

    @classmethod
    def _model(cls, spec: CodecSpec) -> str:
        p = read_params(spec, {"model": str}, required=(), defaults={"model": "neucodec"})
        return choose(spec, "model", p["model"], list(HUB_REPOS))

    @classmethod
    def operating_point(cls, spec: CodecSpec) -> OperatingPoint:
        cls._model(spec)
        size = 1
        for level in FSQ_LEVELS:
            size *= level
        return OperatingPoint(16000, 50.0, (size,), output_sample_rate=24000, field_sizes=(FSQ_LEVELS,))

    @classmethod
    def weights_plan(cls, spec: CodecSpec) -> WeightsPlan:
        model = cls._model(spec)
        repo = HUB_REPOS[model]
        return WeightsPlan(
            what=f"NeuCodec {model} ({spec.name})",
            cache_paths=hub_snapshot_files(repo, "pytorch_model.bin"),
            fetch_hint=f"{INSTALL_HINT}, then python -c \"from neucodec import NeuCodec; "
                       f"NeuCodec.from_pretrained('{repo}')\" (fills the Hugging Face cache "
                       f"{hf_hub_cache()})")

    @classmethod
    def weights_status(cls, spec: CodecSpec) -> str:
        """Like the base class, but first says when the optional package is missing."""
        missing = package_missing()
        return f"missing: {missing}" if missing else super().weights_status(spec)

    @classmethod
    def from_spec(cls, spec: CodecSpec, device: torch.device) -> "NeuCodecCodec":
        """Import the optional package, resolve the checkpoint, build and load the model."""
        model_name = cls._model(spec)
        try:
            import neucodec
        except ImportError as exc:
            raise WeightsUnavailable(f"NeuCodec ({spec.name}) unavailable: {package_missing() or exc}"
                                     ) from exc
        path, sha = cls.locate_weights(spec)
        def build() -> tuple[torch.nn.Module, list[str]]:
            net_cls = neucodec.NeuCodec if model_name == "neucodec" else neucodec.DistillNeuCodec
            try:
                net = net_cls(24_000, 480)
            except OSError as exc:   # the semantic model is not in the Hugging Face cache
                raise WeightsUnavailable(
                    f"NeuCodec ({spec.name}): its semantic model could not be loaded from the "
                    f"Hugging Face cache {hf_hub_cache()} ({exc}); fetch it on a networked "
                    f"machine: {cls.weights_plan(spec).fetch_hint}") from exc
            state, load_notes = cls.read_checkpoint(path)
            ignored = IGNORED_KEYS[model_name]
            state = {k: v for k, v in state.items() if not any(i in k for i in ignored)}
            # the semantic model's weights may come from its own hub checkpoint
            load_state_checked(net, state, f"{path} (NeuCodec {model_name})",
                               ignore_missing=lambda key: key.startswith("semantic_model."))
            return net.to(device), load_notes

        net, notes = shared_model(("neucodec", model_name, str(path), sha, str(device)), build)
        notes += [f"NeuCodec {model_name} {getattr(neucodec, '__version__', '')}".rstrip()
                  + ": FSQ levels 4^8 = 65,536 codes, one stream at 50 Hz",
                  "input padded by 320 - (T mod 320) zeros (NeuCodec._prepare_audio); decoded "
                  "24 kHz output cut to round(1.5 T), no shift"]
        return cls.create(spec, net, device, (path, sha), notes)

    def encode(self, wav: torch.Tensor) -> Codes:
        """[B, 1, T] float32 at 16 kHz -> codes [B, 1, F], F = floor(T / 320) + 1."""
        self.check_wav(wav)
        with torch.inference_mode():
            codes = self.model.encode_code(wav.to(self.device, torch.float32))
        return self.make_codes(codes.reshape(wav.shape[0], 1, -1).cpu(), wav.shape[-1])

    def decode(self, codes: Codes) -> torch.Tensor:
        """Codes -> [B, 1, round(1.5 n_samples)] float32 at 24 kHz on the CPU."""
        self.check_codes(codes)
        n_samples = codes.n_samples if codes.n_samples is not None else codes.n_frames * 320
        with torch.inference_mode():
            wav = self.model.decode_code(codes.indices.to(self.device))
        return self.fit_output(wav.reshape(codes.batch_size, 1, -1), n_samples)

    @classmethod
    def with_model(cls, spec: CodecSpec, model: Any, device: torch.device) -> "NeuCodecCodec":
        """Wrap an already built NeuCodec-like model (encode_code/decode_code), no weights lookup."""
        return cls.create(spec, model, device, None, ["model supplied by the caller"])
