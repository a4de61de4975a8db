"""Encodec adapter: the 24 kHz mono and the 48 kHz stereo model at their bandwidths.

(The module is not called ``encodec.py`` so it can never shadow the library.)

Bitrate = frame rate x codebooks x 10 bits (1024-entry RVQ codebooks); the
frame rate is ceil(sample_rate / 320):

    24 kHz, 75 Hz:  1.5, 3, 6, 12, 24 kbit/s = 2, 4, 8, 16, 32 codebooks
    48 kHz, 150 Hz: 3, 6, 12, 24 kbit/s      = 2, 4, 8, 16 codebooks

What the adapter does, following `EncodecModel.encode`/`decode`:

- 24 kHz: the whole item is one segment; the causal encoder pads to whole
  frames, so F = ceil(T / 320); the decoder returns F x 320 samples, cut to T
  (as `EncodecModel.forward` does). No shift: the model is trained with
  output sample n compared to input sample n.
- 48 kHz: the model is stereo; a mono input is duplicated to both channels
  (its loudness normalisation uses the channel mean, which is then the input
  itself) and the two decoded channels are averaged back to mono. The library
  codes 1 s segments with 1 % overlap (stride 0.99 s) independently, each with
  its own loudness scale; the codes of all segments are concatenated along
  time, so F = sum over segments of ceil(segment length / 320), about 1 % more
  than duration x 150 Hz. Each segment's scale (float32, 32 bit per segment,
  as the library's bitstream stores it) travels with the codes in
  `ScaledCodes.scales` and is not counted in the nominal bitrate.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from bench.codec import Codes
from bench.config import CodecSpec
from bench.codecs.pretrained import (OperatingPoint, PretrainedCodec, WeightsPlan, choose,
                                     load_state_checked, read_params, shared_model)
from bench.registry import CODEC_FAMILIES

HOP = 320               # samples per frame at both rates (SEANet ratios 8, 5, 4, 2)
BITS_PER_CODEBOOK = 10  # 1024 entries


@dataclass(frozen=True)
class EncodecArch:
    """One released Encodec model (`EncodecModel.encodec_model_24khz/48khz`).

    Attributes:
        sample_rate: Hz.
        channels: 1 (24 kHz) or 2 (48 kHz).
        bandwidths: supported bandwidths (kbit/s).
        checkpoint: the publisher's file name; the part after '-' is a sha256 prefix.
        segment: segment duration (s) coded independently, None for whole items.
        overlap: segment overlap as a fraction of the segment.
    """

    sample_rate: int
    channels: int
    bandwidths: tuple[float, ...]
    checkpoint: str
    segment: float | None
    overlap: float = 0.01

    @property
    def frame_rate(self) -> int:
        """Frames per second (Hz), as `EncodecModel.frame_rate` computes it."""
        return math.ceil(self.sample_rate / HOP)

    def n_codebooks(self, bandwidth: float) -> int:
        """Codebooks used at `bandwidth` kbit/s."""
        return int(bandwidth * 1000 // (self.frame_rate * BITS_PER_CODEBOOK))


ENCODEC_MODELS: dict[str, EncodecArch] = {
    "24khz": EncodecArch(24000, 1, (1.5, 3.0, 6.0, 12.0, 24.0), "encodec_24khz-d7cc33bc.th", None),
    "48khz": EncodecArch(48000, 2, (3.0, 6.0, 12.0, 24.0), "encodec_48khz-7e698e3e.th", 1.0),
}
CHECKPOINT_URL = "https://dl.fbaipublicfiles.com/encodec/v0/"


def segment_frames(n_samples: int, arch: EncodecArch) -> list[int]:
    """Frames per segment for an input of `n_samples`, as `EncodecModel.encode` cuts it."""
    if arch.segment is None:
        return [-(-n_samples // HOP)]
    length = int(arch.segment * arch.sample_rate)
    stride = max(1, int((1 - arch.overlap) * length))
    return [-(-min(length, n_samples - offset) // HOP) for offset in range(0, n_samples, stride)]


def hub_checkpoint_dir() -> Path:
    """torch.hub's checkpoint folder, where `EncodecModel` caches its downloads."""
    return Path(torch.hub.get_dir()) / "checkpoints"


@dataclass(frozen=True)
class ScaledCodes(Codes):
    """Encodec 48 kHz codes plus the per-segment loudness scales.

    Attributes:
        scales: float32 [B, S], one scale per 1 s segment (side information,
            32 bits per segment in the library's bitstream).
    """

    scales: torch.Tensor | None = None

    def select(self, b: int) -> "ScaledCodes":
        return dataclasses.replace(self, indices=self.indices[b:b + 1], scales=self.scales[b:b + 1])

    def with_indices(self, indices: torch.Tensor) -> "ScaledCodes":
        return dataclasses.replace(self, indices=indices)


@CODEC_FAMILIES.register("encodec")
@dataclass(eq=False)
class EncodecCodec(PretrainedCodec):
    """Encodec at one model and bandwidth (params: model, bandwidth in kbit/s)."""

    arch: EncodecArch | None = None
    bandwidth: float = 0.0

    @classmethod
    def _params(cls, spec: CodecSpec) -> tuple[str, EncodecArch, float]:
        p = read_params(spec, {"model": str, "bandwidth": (int, float)}, required=("model", "bandwidth"))
        model = choose(spec, "model", p["model"], list(ENCODEC_MODELS))
        arch = ENCODEC_MODELS[model]
        return model, arch, float(choose(spec, "bandwidth", p["bandwidth"], arch.bandwidths))

    @classmethod
    def operating_point(cls, spec: CodecSpec) -> OperatingPoint:
        _, arch, bw = cls._params(spec)
        return OperatingPoint(arch.sample_rate, float(arch.frame_rate),
                              (2 ** BITS_PER_CODEBOOK,) * arch.n_codebooks(bw))

    @classmethod
    def weights_plan(cls, spec: CodecSpec) -> WeightsPlan:
        model, arch, _ = cls._params(spec)
        return WeightsPlan(
            what=f"Encodec {model} ({spec.name})",
            cache_paths=(hub_checkpoint_dir() / arch.checkpoint,),
            fetch_hint=f"pip install encodec && python -c \"from encodec import EncodecModel; "
                       f"EncodecModel.encodec_model_{model}()\" (fills the torch hub cache), or "
                       f"download {CHECKPOINT_URL}{arch.checkpoint}")

    @classmethod
    def from_spec(cls, spec: CodecSpec, device: torch.device) -> "EncodecCodec":
        """Resolve, verify (publisher hash in the file name) and load the checkpoint."""
        model_name, arch, bw = cls._params(spec)
        path, sha = cls.locate_weights(spec)
        def build() -> tuple[torch.nn.Module, list[str]]:
            from encodec import EncodecModel
            state, load_notes = cls.read_checkpoint(path)
            net = getattr(EncodecModel, f"encodec_model_{model_name}")(pretrained=False)
            what = f"{path} (Encodec {model_name})"
            load_state_checked(net, state, what)
            uninit = [k for k, v in state.items() if k.endswith("inited") and not bool(v.all())]
            if uninit:
                raise ValueError(f"{what}: {len(uninit)} codebooks were never initialised "
                                 f"(e.g. {uninit[0]}); this is not a trained Encodec checkpoint")
            return net.to(device), load_notes

        net, notes = shared_model(("encodec", model_name, str(path), sha, str(device)), build)
        k = arch.n_codebooks(bw)
        notes.append(f"Encodec {model_name} at {bw:g} kbit/s: {k} of {arch.n_codebooks(arch.bandwidths[-1])} "
                     f"RVQ codebooks, {arch.frame_rate} Hz")
        if arch.segment is None:
            notes.append("whole item coded as one segment; decoded F x 320 samples cut to the input "
                         "length, no shift")
        else:
            notes.append(
                f"{arch.segment:g} s segments with {arch.overlap:.0%} overlap coded independently "
                "(EncodecModel.encode), codes concatenated: about 1% more frames than duration x "
                f"{arch.frame_rate} Hz; one float32 loudness scale per segment carried as side "
                "information (ScaledCodes.scales, 32 bit/segment, not in the nominal bitrate); "
                "decoded by the library's linear overlap-add, cut to the input length")
        if arch.channels == 2:
            notes.append("stereo model on mono input: the channel is duplicated for encoding and "
                         "the two decoded channels are averaged")
        return cls.create(spec, net, device, (path, sha), notes, arch=arch, bandwidth=bw)

    def encode(self, wav: torch.Tensor) -> Codes:
        """[B, 1, T] float32 at `sample_rate` -> codes [B, K, F] (F from `segment_frames`)."""
        self.check_wav(wav)
        x = wav.to(self.device, torch.float32).expand(-1, self.arch.channels, -1)
        with torch.inference_mode():
            self.model.set_target_bandwidth(self.bandwidth)   # the model is shared by bandwidths
            frames = self.model.encode(x)
        indices = torch.cat([c for c, _ in frames], dim=-1).cpu().long()
        if self.arch.segment is None:
            return self.make_codes(indices, wav.shape[-1])
        scales = torch.cat([s for _, s in frames], dim=1).cpu().float()
        return ScaledCodes(indices, self.codebook_sizes, self.frame_rate, None, wav.shape[-1], scales)

    def decode(self, codes: Codes) -> torch.Tensor:
        """Codes (ScaledCodes for 48 kHz) -> [B, 1, n_samples] float32 on the CPU."""
        self.check_codes(codes)
        n_samples = codes.n_samples
        if n_samples is None and self.arch.segment is None:
            n_samples = codes.n_frames * HOP
        if n_samples is None:
            raise ValueError(f"{self.name}: codes need n_samples to be cut back into segments")
        counts = segment_frames(n_samples, self.arch)
        if sum(counts) != codes.n_frames:
            raise ValueError(f"{self.name}: {codes.n_frames} frames do not match {n_samples} "
                             f"samples (expected {sum(counts)})")
        indices = codes.indices.to(self.device)
        if self.arch.segment is None:
            frames = [(indices, None)]
        else:
            scales = getattr(codes, "scales", None)
            if scales is None or scales.shape != (codes.batch_size, len(counts)):
                raise ValueError(f"{self.name}: Encodec {self.arch.sample_rate // 1000} kHz codes "
                                 f"need their per-segment scales [B, {len(counts)}] (ScaledCodes)")
            chunks = torch.split(indices, counts, dim=-1)
            frames = [(c, scales[:, i:i + 1].to(self.device)) for i, c in enumerate(chunks)]
        with torch.inference_mode():
            wav = self.model.decode(frames)
        return self.fit_output(wav.mean(dim=1, keepdim=True), n_samples)
