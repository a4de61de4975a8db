"""Reconstruction losses: multi-resolution log-mel, multi-resolution STFT, waveform L1.

All are pure functions of (prediction, target) [B, 1, T] plus cached windows and
mel filterbanks; `ReconstructionLoss` weights them and returns the parts so the
training log can show each curve.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
import torchaudio.functional as AF
from torch import nn

from bench.train.config import LossConfig

EPS = 1e-5


def magnitude(x: torch.Tensor, n_fft: int, window: torch.Tensor) -> torch.Tensor:
    """|STFT| of x [B, 1, T] with hop n_fft/4 -> [B, n_fft/2+1, frames]."""
    spec = torch.stft(x[:, 0], n_fft, n_fft // 4, window=window, center=True, return_complex=True)
    return spec.abs()


def log_mel_l1(pred_mag: torch.Tensor, true_mag: torch.Tensor, fbank: torch.Tensor) -> torch.Tensor:
    """Mean |log mel(pred) - log mel(true)| with `fbank` [bins, mels]."""
    mp = torch.matmul(pred_mag.transpose(1, 2), fbank)
    mt = torch.matmul(true_mag.transpose(1, 2), fbank)
    return F.l1_loss(torch.log(mp.clamp_min(EPS)), torch.log(mt.clamp_min(EPS)))


def stft_loss(pred_mag: torch.Tensor, true_mag: torch.Tensor) -> torch.Tensor:
    """Spectral convergence + log-magnitude L1 (Parallel WaveGAN's multi-resolution term)."""
    sc = torch.linalg.norm(true_mag - pred_mag) / torch.linalg.norm(true_mag).clamp_min(EPS)
    return sc + F.l1_loss(torch.log(pred_mag.clamp_min(EPS)), torch.log(true_mag.clamp_min(EPS)))


@dataclass(frozen=True)
class LossParts:
    """Weighted total and its unweighted parts (scalar tensors)."""

    total: torch.Tensor
    mel: torch.Tensor
    stft: torch.Tensor
    wave: torch.Tensor
    aux: torch.Tensor

    def as_floats(self) -> dict[str, float]:
        return {k: float(getattr(self, k).detach()) for k in ("total", "mel", "stft", "wave", "aux")}


class ReconstructionLoss(nn.Module):
    """The training objective of `LossConfig` at `sample_rate` Hz."""

    def __init__(self, cfg: LossConfig, sample_rate: int):
        super().__init__()
        self.cfg = cfg
        self.n_ffts = sorted(set(cfg.mel_windows) | set(cfg.stft_windows))
        for n in self.n_ffts:
            self.register_buffer(f"win{n}", torch.hann_window(n), persistent=False)
        for n, mels in zip(cfg.mel_windows, cfg.mel_bins):
            fb = AF.melscale_fbanks(n // 2 + 1, 0.0, sample_rate / 2, mels, sample_rate,
                                    norm="slaney", mel_scale="slaney")
            self.register_buffer(f"fb{n}", fb, persistent=False)

    def forward(self, pred: torch.Tensor, target: torch.Tensor, aux: torch.Tensor) -> LossParts:
        """pred, target [B, 1, T]; aux: the quantizer's auxiliary loss (scalar)."""
        cfg = self.cfg
        mags = {n: (magnitude(pred, n, getattr(self, f"win{n}")),
                    magnitude(target, n, getattr(self, f"win{n}"))) for n in self.n_ffts}
        mel = sum(log_mel_l1(*mags[n], getattr(self, f"fb{n}")) for n in cfg.mel_windows) / len(cfg.mel_windows)
        stft = sum(stft_loss(*mags[n]) for n in cfg.stft_windows) / max(len(cfg.stft_windows), 1)
        wave = F.l1_loss(pred, target)
        total = cfg.mel_weight * mel + cfg.stft_weight * stft + cfg.wave_weight * wave + cfg.aux_weight * aux
        return LossParts(total, mel, torch.as_tensor(stft), wave, aux)
