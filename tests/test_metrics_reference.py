"""Reference-based metrics (PESQ, STOI, ESTOI, SI-SDR, mel distance) on bundled speech.

Each metric is compared with its reference implementation, checked for
monotonic behaviour under added white noise (as in audiotools' tests), pinned
to one value on a bundled file, and checked for its library-specific failures.
"""
from __future__ import annotations

import numpy as np
import pytest

from bench.audio import load_mono
from bench.metrics.base import ItemError
from bench.metrics.mel import log_mel_distance
from bench.metrics.pesq import pesq_nb, pesq_wb
from bench.metrics.si_sdr import estimate_delay, si_sdr
from bench.metrics.stoi import estoi, stoi

SNRS_DB = (30, 20, 10, 0)


def _load(speech_files, index: int = 0, rate: int = 16000) -> np.ndarray:
    return load_mono(speech_files[index], rate)[0]


def _add_noise(x: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(len(x))
    return x + noise * np.sqrt(np.mean(x ** 2) / np.mean(noise ** 2) / 10 ** (snr_db / 10))


def _quantize(x: np.ndarray) -> np.ndarray:
    """Deterministic codec-like damage: 6-bit uniform quantisation (step 1/32)."""
    return np.round(x * 32) / 32


def test_pesq_and_stoi_equal_their_libraries(speech_files):
    import pesq
    import pystoi

    x = _load(speech_files, 3)
    y = _add_noise(x, 15)
    x8, y8 = _load(speech_files, 3, 8000), _add_noise(_load(speech_files, 3, 8000), 15)
    assert pesq_wb(x, y) == pytest.approx(pesq.pesq(16000, x, y, "wb"), abs=1e-9)
    assert pesq_nb(x8, y8) == pytest.approx(pesq.pesq(8000, x8, y8, "nb"), abs=1e-9)
    assert stoi(x, y) == pytest.approx(pystoi.stoi(x, y, 16000), abs=1e-9)
    assert estoi(x, y) == pytest.approx(pystoi.stoi(x, y, 16000, extended=True), abs=1e-9)


def test_si_sdr_and_mel_distance_equal_audiotools(speech_files):
    """audiotools (DAC's metric library) computes both in float32 torch; we use float64 numpy."""
    import torch
    from audiotools import AudioSignal
    from audiotools.metrics.distance import SISDRLoss
    from audiotools.metrics.spectral import MelSpectrogramLoss

    x = _load(speech_files, 5)
    y = _quantize(_add_noise(x, 12))
    ref, est = (AudioSignal(torch.tensor(s, dtype=torch.float32)[None, None], 16000) for s in (x, y))
    assert si_sdr(x, y) == pytest.approx(-float(SISDRLoss()(ref, est)), abs=1e-3)
    single_scale = MelSpectrogramLoss(n_mels=[80], window_lengths=[1024], mag_weight=0.0,
                                      log_weight=1.0, pow=1.0, clamp_eps=1e-5, mel_fmin=[0.0],
                                      mel_fmax=[None], window_type="hann")
    assert log_mel_distance(x, y) == pytest.approx(float(single_scale(est, ref)), rel=1e-5)


@pytest.mark.parametrize("metric, rate, rising", [
    (pesq_wb, 16000, True), (pesq_nb, 8000, True), (stoi, 16000, True), (estoi, 16000, True),
    (si_sdr, 16000, True), (log_mel_distance, 16000, False)])
def test_scores_worsen_as_noise_rises(speech_files, metric, rate, rising):
    x = _load(speech_files, 7, rate)
    scores = [metric(x, _add_noise(x, snr)) for snr in SNRS_DB]
    worse = np.diff(scores) < 0 if rising else np.diff(scores) > 0
    assert worse.all(), f"{metric.__name__} at SNR {SNRS_DB} dB: {scores}"


def test_si_sdr_of_white_noise_equals_snr(speech_files):
    x = _load(speech_files, 7)
    for snr in SNRS_DB:
        assert si_sdr(x, _add_noise(x, snr)) == pytest.approx(snr, abs=0.1)


# One value per metric on bundled file 0 (1688-142285-0004.flac) against its
# 6-bit quantised copy, computed once with pesq 0.0.4, pystoi 0.4.1, librosa
# 0.11, soxr 1.1 (8 kHz copy for PESQ-NB). A change means the metric, its
# library or the resampler changed: bump the metric's spec.version.
PINNED = {
    "pesq_wb": (pesq_wb, 16000, 1.2103633880615234, 1e-3),
    "pesq_nb": (pesq_nb, 8000, 1.6323436498641968, 1e-3),
    "stoi": (stoi, 16000, 0.9309799917457344, 1e-4),
    "estoi": (estoi, 16000, 0.7666900899978132, 1e-4),
    "si_sdr": (si_sdr, 16000, 19.440111947549937, 1e-3),
    "mel_distance": (log_mel_distance, 16000, 0.6818679030697108, 1e-4),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_value_on_bundled_file(speech_files, name):
    metric, rate, expected, tol = PINNED[name]
    x = _load(speech_files, 0, rate)
    assert metric(x, _quantize(x)) == pytest.approx(expected, abs=tol)


@pytest.mark.parametrize("delay", [123, -57, 0])
def test_si_sdr_finds_and_removes_delay(speech_files, delay):
    x = _load(speech_files, 9)
    y = _add_noise(x, 20)
    delayed = np.roll(y, delay)                  # deg[n] = y[n - delay]
    assert estimate_delay(x, delayed, 800) == delay
    aligned = si_sdr(x, delayed)
    assert aligned == pytest.approx(si_sdr(x, y), abs=0.05)
    if delay:
        assert si_sdr(x, delayed, max_delay_s=0) < aligned - 15


def test_library_refusals_become_item_errors(speech_files):
    x = _load(speech_files, 0)
    burst = np.r_[np.zeros(15000), 0.3 * np.random.default_rng(0).standard_normal(1000)]
    with pytest.raises(ItemError, match="PESQ \\(wb\\) refused the item: NoUtterancesError"):
        pesq_wb(burst, burst)
    snippet = x[20000:24800]                     # 0.3 s: valid input, < 30 STOI frames
    with pytest.raises(ItemError, match="fewer than 30 non-silent frames"):
        stoi(snippet, snippet)
    with pytest.raises(ItemError, match="ESTOI"):
        estoi(snippet, snippet)
