"""A compact frame-rate convolutional codec with a swappable quantizer.

Why this shape: on a CPU budget the cost of a waveform-domain SEANet (convs at
16 kHz) dominates training; here every heavy layer runs at the frame rate
(50 Hz) or at a small multiple of it, which makes a step ~10x cheaper.

- Encoder: STFT log-magnitude front end (window `enc_n_fft`, hop = frame hop)
  -> Conv1d -> ConvNeXt-1D blocks -> Conv1d to `latent_dim`  [B, D, F].
- Bottleneck: any quantizer from `bench.quantizers` (the only part that
  differs between the compared models).
- Decoder: Conv1d -> ConvNeXt-1D blocks at the frame rate -> transposed-conv
  upsampling by `upsample` -> a few blocks -> Vocos-style iSTFT head (log
  magnitude and phase per bin; inverse STFT with hop = hop / upsample).

Input lengths must be multiples of the hop (the codec adapter pads and
records); the decoder returns exactly F * hop samples.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bench.train.config import ModelConfig


class ConvNeXtBlock(nn.Module):
    """Depthwise conv -> LayerNorm -> MLP -> layer scale, with a residual; [B, C, F] -> same."""

    def __init__(self, dim: int, kernel: int, mlp_ratio: int):
        super().__init__()
        self.dw = nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp_ratio * dim)
        self.fc2 = nn.Linear(mlp_ratio * dim, dim)
        self.scale = nn.Parameter(torch.full((dim,), 0.1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dw(x).transpose(1, 2)
        h = self.fc2(F.gelu(self.fc1(self.norm(h))))
        return x + (self.scale * h).transpose(1, 2)


def _trunk(dim: int, n: int, cfg: ModelConfig) -> nn.Sequential:
    return nn.Sequential(*[ConvNeXtBlock(dim, cfg.kernel, cfg.mlp_ratio) for _ in range(n)])


class ChannelNorm(nn.Module):
    """LayerNorm over channels of a [B, C, F] tensor."""

    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class Encoder(nn.Module):
    """wav [B, 1, T] (T a multiple of the hop) -> latent [B, latent_dim, T / hop]."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.register_buffer("window", torch.hann_window(cfg.enc_n_fft), persistent=False)
        bins = cfg.enc_n_fft // 2 + 1
        self.inp = nn.Conv1d(bins, cfg.dim, 3, padding=1)
        self.trunk = _trunk(cfg.dim, cfg.enc_layers, cfg)
        self.out = nn.Sequential(ChannelNorm(cfg.dim), nn.Conv1d(cfg.dim, cfg.latent_dim, 1))

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        pad = (cfg.enc_n_fft - cfg.hop) // 2
        x = F.pad(wav[:, 0], (pad, cfg.enc_n_fft - cfg.hop - pad))
        spec = torch.stft(x, cfg.enc_n_fft, cfg.hop, window=self.window, center=False,
                          return_complex=True)
        feats = torch.log(spec.abs().clamp_min(1e-5))
        return self.out(self.trunk(self.inp(feats)))


class Decoder(nn.Module):
    """latent [B, latent_dim, F] -> wav [B, 1, F * hop]."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        u = cfg.upsample
        self.inp = nn.Conv1d(cfg.latent_dim, cfg.dim, cfg.kernel, padding=cfg.kernel // 2)
        self.trunk = _trunk(cfg.dim, cfg.dec_layers, cfg)
        if u > 1:
            self.up = nn.Sequential(ChannelNorm(cfg.dim),
                                    nn.ConvTranspose1d(cfg.dim, cfg.up_dim, 2 * u, stride=u, padding=u // 2),
                                    _trunk(cfg.up_dim, cfg.up_layers, cfg))
            head_dim = cfg.up_dim
        else:
            self.up = nn.Identity()
            head_dim = cfg.dim
        self.norm = nn.LayerNorm(head_dim)
        self.head = nn.Linear(head_dim, cfg.istft_n_fft + 2)
        self.register_buffer("window", torch.hann_window(cfg.istft_n_fft), persistent=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        n_frames = z.shape[-1]
        h = self.up(self.trunk(self.inp(z)))
        if cfg.upsample > 1 and cfg.upsample % 2:   # odd factor: trim the transposed conv's extra frame
            h = h[..., : n_frames * cfg.upsample]
        h = F.pad(h, (0, 1), mode="replicate")      # centred iSTFT wants one frame more than T / hop
        mag_log, phase = self.head(self.norm(h.transpose(1, 2))).transpose(1, 2).chunk(2, dim=1)
        mag = torch.exp(mag_log).clamp(max=1e2)
        spec = torch.complex(mag * torch.cos(phase), mag * torch.sin(phase))
        n_out = n_frames * cfg.hop
        wav = torch.istft(spec, cfg.istft_n_fft, cfg.hop // cfg.upsample, window=self.window,
                          center=True, length=n_out)
        return wav.unsqueeze(1)


class TrainableCodec(nn.Module):
    """Encoder -> quantizer -> decoder; the quantizer is built by the caller."""

    def __init__(self, cfg: ModelConfig, quantizer: nn.Module):
        super().__init__()
        if getattr(quantizer, "input_dim", cfg.latent_dim) != cfg.latent_dim:
            raise ValueError(f"quantizer input_dim {quantizer.input_dim} != model latent_dim {cfg.latent_dim}")
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.quantizer = quantizer
        self.decoder = Decoder(cfg)

    def check_length(self, wav: torch.Tensor) -> None:
        if wav.dim() != 3 or wav.shape[1] != 1:
            raise ValueError(f"expected wav [B, 1, T], got {tuple(wav.shape)}")
        if wav.shape[-1] % self.cfg.hop or wav.shape[-1] == 0:
            raise ValueError(f"length {wav.shape[-1]} is not a positive multiple of the hop {self.cfg.hop}")

    def forward(self, wav: torch.Tensor):
        """wav [B, 1, T] -> (reconstruction [B, 1, T], QuantizerOutput)."""
        self.check_length(wav)
        q = self.quantizer(self.encoder(wav))
        return self.decoder(q.z_hat), q

    @torch.no_grad()
    def encode(self, wav: torch.Tensor) -> torch.Tensor:
        """wav [B, 1, T] -> indices int64 [B, K, T / hop]."""
        self.check_length(wav)
        return self.quantizer.quantize(self.encoder(wav))[1]

    @torch.no_grad()
    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """indices [B, K, F] -> wav [B, 1, F * hop]."""
        return self.decoder(self.quantizer.dequantize(indices))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
