"""Reference codecs that need no weights: linear PCM and 8-bit mu-law.

Their bitrates are exact (sample rate x bits per sample) and their behaviour on
speech is known, so the whole pipeline can be checked end to end: 16-bit PCM
scores near each metric's maximum; 8 kHz mu-law (G.711-style) loses the band
above 4 kHz and scores well below it on wide-band PESQ. Each sample is one
frame with one token.
"""
from __future__ import annotations

from typing import Any

import torch
import torchaudio.functional as AF

from bench import bitrate
from bench.codec import CodecBase, Codes
from bench.config import CodecSpec
from bench.registry import CODEC_FAMILIES


def _params(spec: CodecSpec, allowed: dict[str, type]) -> dict[str, Any]:
    unknown = sorted(set(spec.params) - set(allowed))
    if unknown:
        raise ValueError(f"{spec.source_file}: codec {spec.name!r}: unknown params {unknown}; "
                         f"allowed: {sorted(allowed)}")
    out = {}
    for key, tp in allowed.items():
        if key not in spec.params:
            raise ValueError(f"{spec.source_file}: codec {spec.name!r}: missing param {key!r}")
        value = spec.params[key]
        if not isinstance(value, tp) or isinstance(value, bool):
            raise ValueError(f"{spec.source_file}: codec {spec.name!r}: param {key!r} must be "
                             f"{tp.__name__}, got {value!r}")
        out[key] = value
    return out


class _SampleCodec(CodecBase):
    """Base for sample-domain codecs: frame rate = sample rate, one stream."""

    @classmethod
    def weights_status(cls, spec: CodecSpec) -> str:
        return "not needed"

    @staticmethod
    def _describe(sample_rate: int, codebook_size: int) -> dict[str, Any]:
        """Rates of a one-token-per-sample codec: frame rate = sample rate."""
        sizes = (codebook_size,)
        return {"sample_rate": sample_rate, "output_sample_rate": sample_rate,
                "frame_rate": float(sample_rate), "codebook_sizes": sizes,
                "nominal_bitrate": bitrate.nominal_bitrate(sizes, sample_rate),
                "token_rate": bitrate.token_rate(1, float(sample_rate))}

    @classmethod
    def _build(cls, spec: CodecSpec, note: str) -> Any:
        d = cls.describe_spec(spec)
        codec = cls(spec.name, d["sample_rate"], d["frame_rate"], d["codebook_sizes"])
        codec.notes.append(note)
        return codec

    def encode(self, wav: torch.Tensor) -> Codes:
        self.check_wav(wav)
        return self.make_codes(self._encode(wav.float()), wav.shape[-1])

    def decode(self, codes: Codes) -> torch.Tensor:
        codes.check_range()
        return self._decode(codes.indices)


@CODEC_FAMILIES.register("pcm")
class PCMCodec(_SampleCodec):
    """Linear PCM with `bits` per sample (two's complement, full scale 2^(bits-1))."""

    @classmethod
    def describe_spec(cls, spec: CodecSpec) -> dict[str, Any]:
        p = _params(spec, {"sample_rate": int, "bits": int})
        if not 2 <= p["bits"] <= 24:
            raise ValueError(f"codec {spec.name!r}: bits must be in [2, 24], got {p['bits']}")
        return cls._describe(p["sample_rate"], 2 ** p["bits"])

    @classmethod
    def from_spec(cls, spec: CodecSpec, device: torch.device) -> "PCMCodec":
        return cls._build(spec, f"PCM {spec.params['bits']}-bit, round to nearest, clamp to full scale")

    @property
    def _half(self) -> int:
        return self.codebook_sizes[0] // 2

    def _encode(self, wav: torch.Tensor) -> torch.Tensor:
        q = torch.clamp(torch.round(wav.double() * self._half), -self._half, self._half - 1)
        return (q + self._half).long()          # [B, 1, T] with K=1, F=T

    def _decode(self, indices: torch.Tensor) -> torch.Tensor:
        return ((indices - self._half).double() / self._half).float()


@CODEC_FAMILIES.register("mulaw")
class MuLawCodec(_SampleCodec):
    """8-bit mu-law companding (mu = 255, continuous G.711-style curve)."""

    @classmethod
    def describe_spec(cls, spec: CodecSpec) -> dict[str, Any]:
        p = _params(spec, {"sample_rate": int})
        if p["sample_rate"] not in (8000, 16000):
            raise ValueError(f"codec {spec.name!r}: mu-law sample_rate must be 8000 or 16000, "
                             f"got {p['sample_rate']}")
        return cls._describe(p["sample_rate"], 256)

    @classmethod
    def from_spec(cls, spec: CodecSpec, device: torch.device) -> "MuLawCodec":
        return cls._build(spec, "mu-law mu=255 via torchaudio.functional.mu_law_encoding; "
                                "input clamped to [-1, 1]")

    def _encode(self, wav: torch.Tensor) -> torch.Tensor:
        return AF.mu_law_encoding(torch.clamp(wav, -1.0, 1.0), 256).long()

    def _decode(self, indices: torch.Tensor) -> torch.Tensor:
        return AF.mu_law_decoding(indices, 256).float()
