"""DNSMOS: same scores as speechmos, features computed once, monotonic, pinned."""
from __future__ import annotations

import numpy as np
import pytest

from bench.audio import load_mono
from bench.metrics.dnsmos import (P808_SAMPLES, WINDOW, DnsmosScorer, dnsmos, dnsmos_many,
                                  p808_features, tile, window_starts)
from bench.registry import METRICS

# 10.45 s (one window as is), 4.55 s (doubled, one window), 5.83 s (doubled, two windows)
CLIPS = {"2414-128291-0004": 1, "3080-5032-0000": 1, "533-1066-0003": 2}


def _clip(speech_files, stem: str) -> np.ndarray:
    path = next(p for p in speech_files if p.stem == stem)
    return load_mono(path, 16000)[0]


def _add_noise(x: np.ndarray, snr_db: float) -> np.ndarray:
    noise = np.random.default_rng(0).standard_normal(len(x))
    return x + noise * np.sqrt(np.mean(x ** 2) / np.mean(noise ** 2) / 10 ** (snr_db / 10))


@pytest.fixture(scope="module")
def scorer() -> DnsmosScorer:
    return DnsmosScorer()


def test_windows_follow_speechmos_including_its_rounding_quirk():
    """speechmos slices [int(idx*16000), int((idx+9.01)*16000)) and skips short slices."""
    n = 40 * 16000
    brute = [int(i * 16000) for i in range(int(np.floor(n / 16000) - 9.01) + 1)
             if len(range(n)[int(i * 16000):int((i + 9.01) * 16000)]) >= WINDOW]
    assert window_starts(n) == brute
    assert 6 * 16000 in brute and 7 * 16000 not in brute and 24 * 16000 in brute
    assert len(tile(np.ones(70000))) == 280000 and len(tile(np.ones(WINDOW))) == WINDOW


def test_p808_features_equal_librosa_per_window(speech_files, scorer):
    """Spectra computed once per clip equal speechmos' per-window librosa features."""
    from speechmos.dnsmos import DNSMOS

    audio = tile(_clip(speech_files, "1688-142285-0005"))       # 4.3 s -> 7 windows
    starts = window_starts(len(audio))
    assert len(starts) == 7
    ours = p808_features(audio, starts, scorer.mel_basis)
    for i, start in enumerate(starts):
        seg = audio[start:start + WINDOW]
        theirs = np.asarray(DNSMOS.audio_melspec(None, audio=seg[:-160]), dtype=np.float32)
        assert seg[:-160].shape == (P808_SAMPLES,)
        np.testing.assert_allclose(ours[i], theirs, atol=1e-6, err_msg=f"window {i}")


@pytest.mark.parametrize("stem", sorted(CLIPS))
def test_scores_equal_speechmos(speech_files, scorer, stem):
    import speechmos.dnsmos

    x = _clip(speech_files, stem)
    ours = scorer(x)
    theirs = speechmos.dnsmos.run(x, 16000)
    assert ours.n_windows == CLIPS[stem]
    for field, key in (("sig", "sig_mos"), ("bak", "bak_mos"), ("ovrl", "ovrl_mos"),
                       ("p808", "p808_mos")):
        assert getattr(ours, field) == pytest.approx(float(theirs[key]), abs=1e-4), field


def test_scores_fall_as_noise_rises(speech_files, scorer):
    x = _clip(speech_files, "2414-128291-0004")
    scores = [scorer(_add_noise(x, snr)) for snr in (30, 20, 10, 0)]
    for field in ("sig", "bak", "ovrl", "p808"):
        values = [getattr(s, field) for s in scores]
        assert np.all(np.diff(values) < 0), f"{field}: {values}"


def test_pinned_value_and_metric_wrapper(speech_files):
    """Clean 2414-128291-0004.flac, computed once with speechmos 0.0.1.1 / onnxruntime 1.26."""
    x = _clip(speech_files, "2414-128291-0004")
    metric = METRICS.get("dnsmos")
    metric.load()
    values = metric(None, x)
    expected = {"dnsmos_sig": 3.5157480650581747, "dnsmos_bak": 4.005116613402036,
                "dnsmos_ovrl": 3.179544621956616, "dnsmos_p808": 3.5591235160827637}
    assert values == pytest.approx(expected, abs=1e-3)
    assert values == pytest.approx({f"dnsmos_{k}": v for k, v in vars(dnsmos(x)).items()
                                    if k != "n_windows"}, abs=1e-12)
    models = metric.provenance()["models"]
    assert set(models) == {"sig_bak_ovr.onnx", "model_v8.onnx"}
    assert all(len(m["sha256"]) == 64 for m in models.values())


def test_cost_beyond_onnx_is_small(speech_files):
    """Everything but session.run stays far below the 10 % budget (CPU time, 2 windows)."""
    scorer = DnsmosScorer()
    x = _clip(speech_files, "533-1066-0003")
    scorer(x)
    assert scorer.windows == 2
    assert scorer.cpu_total - scorer.cpu_onnx < 0.1 * scorer.cpu_onnx, vars(scorer)


@pytest.mark.slow
def test_many_workers_equal_one(speech_files, scorer):
    clips = [_clip(speech_files, s) for s in ("3080-5032-0000", "2414-128291-0004")]
    clips.append(np.zeros(16000))
    pooled = dnsmos_many(clips, workers=2)
    assert pooled[:2] == [scorer(c) for c in clips[:2]]
    assert "silent" in str(pooled[2])
