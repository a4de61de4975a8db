"""Descript Audio Codec (DAC) adapter: 16, 24 and 44.1 kHz models, any RVQ prefix.

One model gives a ladder of bitrates: its encoder and decoder are fixed and the
first `n_codebooks` of its N residual codebooks (1024 entries, 10 bits each)
are used; DAC was trained with quantizer dropout, so every prefix decodes.
Nominal bitrate = frame rate x n_codebooks x 10 bits, for example

    16 kHz: 16000 / 320 = 50 Hz,        12 codebooks ->  6,000 bit/s
    24 kHz: 24000 / 320 = 75 Hz,        32 codebooks -> 24,000 bit/s
    44.1 kHz: 44100 / 512 = 86.13 Hz,    9 codebooks ->  7,752 bit/s

Alignment, as the library's own `DAC.forward` and README usage do it:

- the input is right-padded with zeros to a multiple of the hop (what
  `DAC.preprocess` does), so F = ceil(T / hop) frames;
- the padded ("same") convolutions keep decoded sample n aligned with input
  sample n: the mean geometric delay is 0 samples (checked in the tests with
  an impulse through a linearised network). `DAC.delay` (5,264 samples at
  16 kHz) belongs to the unpadded, chunked mode of `DAC.compress`, not used here;
- the decoder returns F x hop samples, minus one sample for each odd
  upsampling stride, scaled by the upsampling after it: the 16 and 24 kHz
  models (strides 8, 5, 4, 2) lose 1 x 4 x 2 and return F x 320 - 8 samples
  (`decoded_length`). The output is cut to T; when the right
  padding was under 8 samples the missing last samples are zero-filled, and
  `alignment` counts them;
- no loudness normalisation: `DAC.compress` normalises to -16 LUFS and restores
  the level from side information; this adapter codes the waveform as given.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from bench import align
from bench.codec import Codes
from bench.config import CodecSpec
from bench.codecs.pretrained import (OperatingPoint, PretrainedCodec, WeightsPlan, choose,
                                     load_state_checked, read_params, shared_model)
from bench.registry import CODEC_FAMILIES


@dataclass(frozen=True)
class DacArch:
    """One released DAC architecture (the `conf/final/*.yml` of the DAC repository).

    Attributes:
        sample_rate: Hz.
        encoder_rates: downsampling strides; their product is the hop.
        decoder_rates: upsampling strides.
        n_codebooks: RVQ codebooks in the checkpoint.
        tag: release tag of the 8 kbps checkpoint (`dac.utils.__MODEL_LATEST_TAGS__`).
    """

    sample_rate: int
    encoder_rates: tuple[int, ...]
    decoder_rates: tuple[int, ...]
    n_codebooks: int
    tag: str
    encoder_dim: int = 64
    decoder_dim: int = 1536
    codebook_size: int = 1024
    codebook_dim: int = 8

    @property
    def hop(self) -> int:
        """Input samples per frame."""
        return math.prod(self.encoder_rates)

    @property
    def frame_rate(self) -> float:
        """Frames per second (Hz)."""
        return self.sample_rate / self.hop

    @property
    def latent_dim(self) -> int:
        return self.encoder_dim * 2 ** len(self.encoder_rates)

    def kwargs(self) -> dict[str, Any]:
        """Constructor arguments of `dac.model.DAC` (lists, as the library stores them)."""
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
        out.pop("tag")
        out["latent_dim"] = self.latent_dim
        return out


DAC_MODELS: dict[str, DacArch] = {
    "16khz": DacArch(16000, (2, 4, 5, 8), (8, 5, 4, 2), 12, "0.0.5"),
    "24khz": DacArch(24000, (2, 4, 5, 8), (8, 5, 4, 2), 32, "0.0.4"),
    "44khz": DacArch(44100, (2, 4, 8, 8), (8, 8, 4, 2), 9, "0.0.1"),
}
BITRATE_TAG = "8kbps"  # the release name of these three checkpoints


def decoded_length(n_frames: int, decoder_rates: tuple[int, ...]) -> int:
    """Samples DAC's padded decoder returns for `n_frames` frames.

    Each transposed convolution (kernel 2s, stride s, padding ceil(s/2)) maps
    L to L*s + s - 2*ceil(s/2): exactly L*s for even s, L*s - 1 for odd s.
    """
    length = n_frames
    for s in decoder_rates:
        length = length * s + s - 2 * math.ceil(s / 2)
    return length


def cache_path(model: str) -> Path:
    """Where `dac.utils.download` caches a model (``~/.cache/descript/dac/...``)."""
    arch = DAC_MODELS[model]
    return Path.home() / ".cache" / "descript" / "dac" / f"weights_{model}_{BITRATE_TAG}_{arch.tag}.pth"


def download_url(model: str) -> str:
    """The release URL `dac.utils.download` fetches the checkpoint from."""
    arch = DAC_MODELS[model]
    name = "weights.pth" if model == "44khz" else f"weights_{model}.pth"
    return f"https://github.com/descriptinc/descript-audio-codec/releases/download/{arch.tag}/{name}"


def _checkpoint_arch_mismatch(kwargs: dict[str, Any], arch: DacArch) -> list[str]:
    """Differences between a checkpoint's stored constructor kwargs and `arch`."""
    stored = dict(kwargs)
    if stored.get("latent_dim") is None and "encoder_dim" in stored and "encoder_rates" in stored:
        stored["latent_dim"] = stored["encoder_dim"] * 2 ** len(stored["encoder_rates"])
    wrong = []
    for key, want in arch.kwargs().items():
        have = stored.get(key, want)
        if (list(have) if isinstance(have, (list, tuple)) else have) != want:
            wrong.append(f"{key}={have!r} (expected {want!r})")
    return wrong


@CODEC_FAMILIES.register("dac")
@dataclass(eq=False)
class DacCodec(PretrainedCodec):
    """DAC at one model and number of codebooks (params: model, n_codebooks)."""

    n_codebooks: int = 0
    arch: DacArch | None = None

    @classmethod
    def _params(cls, spec: CodecSpec) -> tuple[str, DacArch, int]:
        p = read_params(spec, {"model": str, "n_codebooks": int}, required=("model",))
        model = choose(spec, "model", p["model"], list(DAC_MODELS))
        arch = DAC_MODELS[model]
        n = p.get("n_codebooks", arch.n_codebooks)
        choose(spec, "n_codebooks", n, list(range(1, arch.n_codebooks + 1)))
        return model, arch, n

    @classmethod
    def operating_point(cls, spec: CodecSpec) -> OperatingPoint:
        _, arch, n = cls._params(spec)
        return OperatingPoint(arch.sample_rate, arch.frame_rate, (arch.codebook_size,) * n)

    @classmethod
    def weights_plan(cls, spec: CodecSpec) -> WeightsPlan:
        model, _, _ = cls._params(spec)
        return WeightsPlan(
            what=f"DAC {model} ({spec.name})", cache_paths=(cache_path(model),),
            fetch_hint=f"pip install descript-audio-codec && python -m dac download "
                       f"--model_type {model} (writes {cache_path(model)}); or download "
                       f"{download_url(model)}")

    @classmethod
    def from_spec(cls, spec: CodecSpec, device: torch.device) -> "DacCodec":
        """Resolve, verify and load the checkpoint, then wrap it."""
        model_name, arch, n = cls._params(spec)
        path, sha = cls.locate_weights(spec)
        def build() -> tuple[torch.nn.Module, list[str]]:
            from dac.model.dac import DAC
            ckpt, load_notes = cls.read_checkpoint(path)
            what = f"{path} (DAC {model_name})"
            if isinstance(ckpt, dict) and "state_dict" in ckpt:
                stored = (ckpt.get("metadata") or {}).get("kwargs", {})
                wrong = _checkpoint_arch_mismatch(stored, arch)
                if wrong:
                    raise ValueError(f"{what}: checkpoint is another DAC architecture: "
                                     + ", ".join(wrong))
                ckpt = ckpt["state_dict"]
            with torch.device("meta"):   # no random init: every tensor comes from the file
                net = DAC(**arch.kwargs())
            load_state_checked(net, ckpt, what, assign=True)
            return net.to(device), load_notes

        net, notes = shared_model(("dac", model_name, str(path), sha, str(device)), build)
        notes += [
            f"DAC {model_name}: first {n} of {arch.n_codebooks} RVQ codebooks; hop {arch.hop} "
            f"samples; frame rate {arch.frame_rate:g} Hz",
            f"input right-padded with zeros to a multiple of {arch.hop} samples (DAC.preprocess); "
            f"frames = ceil(T / {arch.hop})",
            "padded (non-chunked) convolutions: decoded sample n is aligned with input sample n "
            "(mean geometric delay 0), no shift applied; DAC.delay applies only to the unpadded "
            "chunked DAC.compress mode, not used",
            f"decoder returns F x {arch.hop} - {_shortfall(arch)} samples; output cut to the "
            "input length, a short tail zero-filled (counted in alignment)",
            "no loudness normalisation (DAC.compress's -16 LUFS normalisation is not applied)",
        ]
        return cls.create(spec, net, device, (path, sha), notes, n_codebooks=n, arch=arch)

    def encode(self, wav: torch.Tensor) -> Codes:
        """[B, 1, T] float32 at `sample_rate` -> codes [B, n_codebooks, ceil(T / hop)]."""
        self.check_wav(wav)
        with torch.inference_mode():
            x, _ = align.pad_to_multiple(wav.to(self.device, torch.float32), self.arch.hop)
            _, codes, _, _, _ = self.model.encode(x, self.n_codebooks)
        return self.make_codes(codes[:, :self.n_codebooks].cpu(), wav.shape[-1])

    def decode(self, codes: Codes) -> torch.Tensor:
        """Codes -> [B, 1, n_samples] float32 on the CPU."""
        self.check_codes(codes)
        n_samples = codes.n_samples if codes.n_samples is not None else codes.n_frames * self.arch.hop
        with torch.inference_mode():
            z = self.model.quantizer.from_codes(codes.indices.to(self.device))[0]
            wav = self.model.decode(z)
        return self.fit_output(wav, n_samples)


def _shortfall(arch: DacArch) -> int:
    """Samples the decoder returns short of F x hop (independent of F)."""
    return arch.hop - decoded_length(1, arch.decoder_rates)
