"""DNSMOS P.835 (SIG, BAK, OVRL) and P.808 with the ONNX models shipped by speechmos.

The always-available no-reference MOS: the models come inside the `speechmos`
wheel, so it works offline. Scores equal ``speechmos.dnsmos.run(x, 16000)``
(tested to 1e-4) but cost less:

* ONNX sessions are created once per process (`DnsmosScorer`), with one
  intra-op thread by default (``BENCH_ONNX_THREADS`` overrides) so that one
  worker per core scales (the runner's pool, or `dnsmos_many`).
* The P.808 log-mel features are computed once per clip: speechmos runs
  librosa's mel spectrogram on every 9.01 s window although consecutive
  windows (hop 1 s) share 8 s; here the power spectra of the whole tiled clip
  are computed once and each window slices its 898 interior frames, redoing
  only its two zero-padded edge frames. The mel matrix is built once.

What speechmos does, and this module reproduces on purpose so that the values
match: clips shorter than 9.01 s are doubled (``np.append(x, x)``) until they
are long enough; window ``idx`` covers samples
``[int(idx * 16000), int((idx + 9.01) * 16000))`` and is skipped when that is
one sample short, which float rounding makes happen for idx 7-23 and
119-122; scores are the mean over the remaining windows. Unlike speechmos,
samples beyond [-1, 1] are scored rather than refused (`check_signal` warns).

Measured with ``python -m bench.metrics.dnsmos_cost data/speech-16k --clips 6
--speechmos`` (first 6 bundled clips, 32 windows; 2 cores shared with other
jobs at load 13, so CPU seconds, not wall time): CPU in `DnsmosScorer` 20.59 s,
of which 20.36 s inside ONNX (636 ms per window, almost all the P.835 model):
1.1 % overhead. One-off setup (imports, sessions, mel matrix) 2.7 s per
process. speechmos on the same clips: 33.5 s process CPU (+64 %), identical
scores. Feeding all windows of a clip to the models as one batch measured
slower per window (0.80 s vs 0.53 s single-threaded), so windows go one by one.
"""
from __future__ import annotations

import concurrent.futures
import importlib.util
import multiprocessing
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from bench.metrics.base import ItemError, Metric, MetricSpec, library_version, require_valid
from bench.metrics.spectral import frame_spectra, mel_filterbank
from bench.registry import METRICS

SAMPLE_RATE = 16000
WINDOW_S = 9.01                                   # speechmos INPUT_LENGTH
WINDOW = int(WINDOW_S * SAMPLE_RATE)              # 144160 samples into the P.835 model
N_FFT, HOP, N_MELS = 321, 160, 120                # speechmos audio_melspec settings
P808_SAMPLES = WINDOW - HOP                       # the P.808 model sees seg[:-160]
P808_FRAMES = 1 + (P808_SAMPLES - 1) // HOP       # 900 centred frames
PAD = N_FFT // 2                                  # librosa center=True zero padding
AMIN, TOP_DB = 1e-10, 80.0                        # librosa.power_to_db defaults


@dataclass(frozen=True)
class DnsmosScores:
    """Clip-level DNSMOS, each the mean over 9.01 s windows (MOS, 1-5).

    Attributes:
        sig: P.835 speech signal quality.
        bak: P.835 background noise quality.
        ovrl: P.835 overall quality.
        p808: P.808 overall quality (separate model).
        n_windows: windows averaged.
    """

    sig: float
    bak: float
    ovrl: float
    p808: float
    n_windows: int


def model_paths(personalized: bool = False) -> tuple[Path, Path]:
    """(P.835 model, P.808 model) inside the installed speechmos package."""
    root = Path(importlib.util.find_spec("speechmos").submodule_search_locations[0])
    primary = root / ("pdnsmos_models" if personalized else "dnsmos_models") / "sig_bak_ovr.onnx"
    return primary, root / "dnsmos_models" / "model_v8.onnx"


def tile(audio: np.ndarray) -> np.ndarray:
    """Double `audio` until it holds one 9.01 s window, as speechmos does."""
    while len(audio) < WINDOW:
        audio = np.append(audio, audio)
    return audio


def window_starts(n_samples: int) -> list[int]:
    """Start samples of the windows speechmos scores in a tiled clip of `n_samples`."""
    n_hops = int(np.floor(n_samples / SAMPLE_RATE) - WINDOW_S) + 1
    starts = []
    for idx in range(n_hops):
        start, stop = int(idx * SAMPLE_RATE), int((idx + WINDOW_S) * SAMPLE_RATE)
        if min(stop, n_samples) - start >= WINDOW:
            starts.append(start)
    return starts


def p808_features(audio: np.ndarray, starts: Sequence[int], mel_basis: np.ndarray) -> np.ndarray:
    """Log-mel inputs of the P.808 model, [len(starts), 900, 120] float32.

    Equals ``(librosa.power_to_db(melspectrogram(seg[:-160]), ref=np.max) + 40) / 40``
    per window, with the spectra of the whole clip computed once.
    """
    full = frame_spectra(audio, N_FFT, HOP) @ mel_basis.T     # row m starts at m * HOP
    tail_start = (P808_FRAMES - 1) * HOP - PAD                # last frame reaches past the end
    out = np.empty((len(starts), P808_FRAMES, N_MELS), dtype=np.float32)
    for i, start in enumerate(starts):
        seg = audio[start:start + P808_SAMPLES]
        head = np.concatenate([np.zeros(PAD), seg[:N_FFT - PAD]])
        tail = seg[tail_start:]
        tail = np.concatenate([tail, np.zeros(N_FFT - len(tail))])
        first = start // HOP                                  # centred frames 1..898
        mel = np.vstack([frame_spectra(head, N_FFT, HOP) @ mel_basis.T,
                         full[first:first + P808_FRAMES - 2],
                         frame_spectra(tail, N_FFT, HOP) @ mel_basis.T])
        db = 10.0 * np.log10(np.maximum(AMIN, mel)) - 10.0 * np.log10(max(AMIN, mel.max()))
        out[i] = (np.maximum(db, db.max() - TOP_DB) + 40) / 40
    return out


class DnsmosScorer:
    """DNSMOS with ONNX sessions and the mel matrix loaded once.

    Args:
        personalized: use the personalized P.835 model (speechmos
            ``model_type="dnsmos_personalized"``).
        n_threads: ONNX intra-op threads; 1 lets one worker per core scale.
    """

    def __init__(self, personalized: bool = False, n_threads: int = 1):
        import onnxruntime as ort
        from speechmos.dnsmos import DNSMOS

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = n_threads
        opts.inter_op_num_threads = 1
        primary, p808 = model_paths(personalized)
        providers = ["CPUExecutionProvider"]
        self.primary = ort.InferenceSession(str(primary), opts, providers=providers)
        self.p808 = ort.InferenceSession(str(p808), opts, providers=providers)
        self.personalized = personalized
        self.mel_basis = mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS)
        # speechmos' polynomial calibration; the method does not use `self`
        self._calibrate = lambda sig, bak, ovr: DNSMOS.get_polyfit_val(
            None, sig, bak, ovr, personalized)
        # CPU seconds of this thread in __call__ and inside session.run (cost checks);
        # with one intra-op thread ONNX runs on the calling thread.
        self.cpu_total = self.cpu_onnx = 0.0
        self.windows = 0

    def __call__(self, audio: np.ndarray) -> DnsmosScores:
        """Score one clip [T] at 16 kHz (T >= 1 sample; use `dnsmos` for input checks)."""
        t_call = time.thread_time()
        audio = tile(np.asarray(audio))
        starts = window_starts(len(audio))
        if not starts:
            raise ItemError(f"DNSMOS: no complete {WINDOW_S} s window in {len(audio)} samples")
        feats = p808_features(audio, starts, self.mel_basis)
        raw, p808 = [], []
        t_onnx = time.thread_time()
        for i, start in enumerate(starts):
            seg = audio[start:start + WINDOW].astype(np.float32)[np.newaxis]
            raw.append(self.primary.run(None, {"input_1": seg})[0][0])
            p808.append(self.p808.run(None, {"input_1": feats[i:i + 1]})[0][0][0])
        self.cpu_onnx += time.thread_time() - t_onnx
        sig, bak, ovr = self._calibrate(*np.asarray(raw, dtype=np.float64).T)
        self.windows += len(starts)
        self.cpu_total += time.thread_time() - t_call
        return DnsmosScores(float(np.mean(sig)), float(np.mean(bak)), float(np.mean(ovr)),
                            float(np.mean(p808)), len(starts))


_SCORERS: dict[bool, DnsmosScorer] = {}


def _scorer(personalized: bool) -> DnsmosScorer:
    if personalized not in _SCORERS:
        _SCORERS[personalized] = DnsmosScorer(personalized,
                                              int(os.environ.get("BENCH_ONNX_THREADS", "1")))
    return _SCORERS[personalized]


def dnsmos(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, *,
           personalized: bool = False) -> DnsmosScores:
    """DNSMOS of one 16 kHz clip, with this process's cached sessions.

    Raises:
        ItemError: silent, shorter than 0.25 s, or NaN/Inf samples.
        ValueError: `sample_rate` is not 16000 Hz.
    """
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"DNSMOS needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    require_valid(sample_rate, None, audio)
    return _scorer(personalized)(audio)


def _score_in_worker(args: tuple[np.ndarray, bool]) -> DnsmosScores | ItemError:
    try:
        return dnsmos(args[0], personalized=args[1])
    except ItemError as err:
        return err


def dnsmos_many(clips: Sequence[np.ndarray], *, workers: int | None = None,
                personalized: bool = False) -> list[DnsmosScores | ItemError]:
    """Score many 16 kHz clips with one single-threaded scorer per core.

    Args:
        clips: mono signals [T_i].
        workers: processes (default: all cores); 1 scores in this process.
        personalized: see `DnsmosScorer`.

    Returns:
        Per clip, its scores or the `ItemError` that rejected it, in order.
    """
    workers = workers or os.cpu_count() or 1
    jobs = [(np.asarray(c), personalized) for c in clips]
    if workers == 1:
        return [_score_in_worker(j) for j in jobs]
    ctx = multiprocessing.get_context("forkserver")
    # imported once in the fork server instead of once per worker (seconds each)
    ctx.set_forkserver_preload(["bench.metrics.dnsmos", "onnxruntime", "librosa.filters",
                                "speechmos.dnsmos"])
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        return list(pool.map(_score_in_worker, jobs))


class Dnsmos(Metric):
    spec = MetricSpec(
        name="dnsmos", unit="MOS", higher_is_better=True, needs_reference=False,
        sample_rate=SAMPLE_RATE, version=f"{library_version('speechmos')}/1",
        outputs=("dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl", "dnsmos_p808"),
        description="DNSMOS P.835 SIG/BAK/OVRL and P.808 (speechmos ONNX models), no reference",
        family="DNSMOS P.835 + P.808")

    def load(self) -> None:
        _scorer(False)

    def provenance(self) -> dict:
        from bench.weights import sha256_file

        primary, p808 = model_paths()
        return {**super().provenance(), "onnxruntime": library_version("onnxruntime"),
                "models": {p.name: {"path": str(p), "sha256": sha256_file(p)}
                           for p in (primary, p808)}}

    def compute(self, ref, deg):
        s = dnsmos(deg)
        return {"dnsmos_sig": s.sig, "dnsmos_bak": s.bak, "dnsmos_ovrl": s.ovrl,
                "dnsmos_p808": s.p808}


METRICS.add("dnsmos", Dnsmos())
