"""Short-time spectra and mel filterbanks shared by DNSMOS and the mel distance.

numpy framing with librosa's conventions (periodic Hann window, ``rfft`` of
``n_fft`` points, frame ``m`` starting at sample ``m * hop``), so that the
DNSMOS features can be computed once per clip and still equal librosa's
per-window ones. The mel matrix is librosa's (Slaney scale and norm); librosa
is imported on first use only, since its import takes seconds.
"""
from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@functools.lru_cache(maxsize=None)
def hann(n_fft: int) -> np.ndarray:
    """Periodic Hann window [n_fft] (scipy ``get_window("hann", n, fftbins=True)``)."""
    from scipy.signal import get_window

    return get_window("hann", n_fft, fftbins=True)


def frame_spectra(x: np.ndarray, n_fft: int, hop: int, *, power: float = 2.0) -> np.ndarray:
    """|STFT|^power of the full frames of `x`, without padding.

    Args:
        x: signal [T], T >= n_fft.
        n_fft: window and FFT length in samples.
        hop: frame step in samples.
        power: 1 for magnitude, 2 for power.

    Returns:
        [M, n_fft // 2 + 1] with M = 1 + (T - n_fft) // hop; row m is the
        frame starting at sample ``m * hop``.
    """
    frames = sliding_window_view(np.asarray(x), n_fft)[::hop]
    return np.abs(np.fft.rfft(frames * hann(n_fft), axis=-1)) ** power


def centered_spectra(x: np.ndarray, n_fft: int, hop: int, *, power: float = 2.0,
                     pad_mode: str = "constant") -> np.ndarray:
    """`frame_spectra` of `x` padded by ``n_fft // 2`` on both sides.

    Matches ``librosa.stft(center=True)`` (``pad_mode="constant"``, zeros) and
    ``torch.stft(center=True)`` (``pad_mode="reflect"``): frame m is centred
    on sample ``m * hop``.

    Returns:
        [1 + (T + 2 * (n_fft // 2) - n_fft) // hop, n_fft // 2 + 1]: 1 + T // hop
        frames for even n_fft, 1 + (T - 1) // hop for odd.
    """
    return frame_spectra(np.pad(x, n_fft // 2, mode=pad_mode), n_fft, hop, power=power)


@functools.lru_cache(maxsize=None)
def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """librosa's Slaney mel matrix [n_mels, n_fft // 2 + 1], float32, 0 Hz to Nyquist."""
    from librosa.filters import mel

    basis = mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)
    basis.setflags(write=False)
    return basis
