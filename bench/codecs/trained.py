"""The "trained" codec family: small codecs trained in this repository (`bench.train`).

A definition in `codecs/trained.yaml` names its training config and its
checkpoint::

    - name: fsq-800
      family: trained
      params: {config: codecs/trained/fsq-800.yaml}
      weights: {path: codecs/trained/fsq-800.pt, sha256: <64 hex>}

The checkpoint's sha256 is verified before loading (mismatch: `ValueError`
naming the file and both hashes), and its recorded model/quantizer blocks must
equal the config's (a checkpoint of another architecture is refused by name).
Rates and bitrate come from the config alone (`describe_spec` builds only the
parameter-free geometry of the quantizer, never the weights).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F

from bench import bitrate
from bench.codec import CodecBase, Codes
from bench.config import CodecSpec
from bench.paths import resolve
from bench.registry import CODEC_FAMILIES
from bench.train.config import TrainConfig, load_train_config
from bench.weights import resolve_weights, verify_checksum, weights_status


def _config(spec: CodecSpec) -> TrainConfig:
    unknown = sorted(set(spec.params) - {"config"})
    if unknown or "config" not in spec.params:
        raise ValueError(f"{spec.source_file}: codec {spec.name!r}: params must be exactly "
                         f"{{config: <training YAML>}}, got {sorted(spec.params)}")
    return load_train_config(resolve(spec.params["config"]))


@lru_cache(maxsize=64)
def _geometry(quantizer_json: str, latent_dim: int) -> tuple[tuple[int, ...], Any]:
    """(codebook_sizes, field_sizes) of a quantizer block, by building it once (no weights)."""
    import json

    from bench.quantizers import build_quantizer_from_config
    q = build_quantizer_from_config(json.loads(quantizer_json), latent_dim)
    return tuple(q.codebook_sizes), q.field_sizes


def _what(spec: CodecSpec) -> str:
    return f"trained codec {spec.name!r}"


@CODEC_FAMILIES.register("trained")
class TrainedCodec(CodecBase):
    """Adapter around a `bench.train.model.TrainableCodec` checkpoint (16 kHz mono in and out)."""

    @classmethod
    def describe_spec(cls, spec: CodecSpec) -> dict[str, Any]:
        import json
        cfg = _config(spec)
        sizes, fields = _geometry(json.dumps(dict(cfg.quantizer), sort_keys=True), cfg.model.latent_dim)
        rate = cfg.model.frame_rate
        bps = bitrate.nominal_bitrate(sizes, rate)
        return {"sample_rate": cfg.model.sample_rate, "output_sample_rate": cfg.model.sample_rate,
                "frame_rate": rate, "codebook_sizes": sizes, "field_sizes": fields,
                "nominal_bitrate": bps, "token_rate": bitrate.token_rate(len(sizes), rate),
                "rung_bps": cfg.rung_bps, "quantizer": dict(cfg.quantizer)}

    @classmethod
    def weights_status(cls, spec: CodecSpec) -> str:
        """"present: <path>" or "missing: <how to provide it>"; no hashing, no loading."""
        return weights_status(spec.weights, (), _what(spec), config_file=spec.source_file,
                              fetch_hint=f"train it: run_bench.py train --config {spec.params.get('config')}")

    @classmethod
    def from_spec(cls, spec: CodecSpec, device: torch.device) -> "TrainedCodec":
        """Load and verify the checkpoint.

        Raises:
            WeightsUnavailable: no checkpoint file (the message says how to train one).
            ValueError: sha256 mismatch, or a checkpoint of another architecture.
        """
        from bench.train.checkpoint import load_export
        cfg = _config(spec)
        d = cls.describe_spec(spec)
        path = resolve_weights(spec.weights, (), _what(spec), config_file=spec.source_file,
                               fetch_hint=f"run_bench.py train --config {spec.params['config']}")
        digest = verify_checksum(path, spec.weights.sha256 if spec.weights else None)
        model, steps = load_export(path, cfg, device)
        codec = cls(spec.name, d["sample_rate"], d["frame_rate"], d["codebook_sizes"],
                    field_sizes=d["field_sizes"])
        codec.weights_sha256[str(spec.weights.path if spec.weights else path)] = digest
        codec.model = model
        codec.device = torch.device(device)
        codec.hop = cfg.model.hop
        codec.notes.append(f"trained codec {cfg.name}: quantizer {dict(cfg.quantizer)}, {steps} training "
                           f"steps; fp16 weights run in fp32; input zero-padded to a multiple of "
                           f"{cfg.model.hop} samples, output trimmed to the input length")
        return codec

    def encode(self, wav: torch.Tensor) -> Codes:
        """wav [B, 1, T] at 16 kHz -> Codes [B, K, ceil(T / hop)] with n_samples = T."""
        self.check_wav(wav)
        n = wav.shape[-1]
        padded = F.pad(wav.float(), (0, (-n) % self.hop)).to(self.device)
        return self.make_codes(self.model.encode(padded).cpu(), n)

    def decode(self, codes: Codes) -> torch.Tensor:
        """Codes -> wav [B, 1, n_samples] (F * hop samples when n_samples is unknown)."""
        codes.check_range()
        wav = self.model.decode(codes.indices.to(self.device)).cpu()
        if codes.n_samples is not None:
            if codes.n_samples > wav.shape[-1]:
                raise ValueError(f"codes hold {wav.shape[-1]} samples, fewer than n_samples={codes.n_samples}")
            wav = wav[..., : codes.n_samples]
        return wav
