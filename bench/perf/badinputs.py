"""A folder of deliberately bad audio files for reliability checks.

Each file is a real problem a researcher meets in the wild; `make_bad_inputs`
writes them and returns what each one is, so tests and `reports/reliability.md`
describe the same cases.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from bench.audio import load_mono

SR = 16000


def make_bad_inputs(folder: Path, speech: Path) -> dict[str, str]:
    """Write the bad-input files next to one good utterance.

    Args:
        folder: where to write (created).
        speech: a real utterance (16 kHz) used as the base signal.

    Returns:
        file name -> description of the problem.
    """
    folder.mkdir(parents=True, exist_ok=True)
    x, _ = load_mono(speech, SR)
    x = x[: 3 * SR]
    cases: dict[str, str] = {}

    def wav(name: str, sig: np.ndarray, sr: int = SR, subtype: str = "PCM_16", what: str = "") -> None:
        sf.write(folder / name, sig, sr, subtype=subtype)
        cases[name] = what

    wav("00_good.wav", x, what="a clean 3 s utterance (control)")
    wav("01_silence.wav", np.zeros(3 * SR), what="3 s of digital silence")
    wav("02_short.wav", x[: SR // 10], what="a 0.1 s clip (under 0.25 s)")
    nan = x.copy()
    nan[1000:1100] = np.nan
    wav("03_nan.wav", nan, subtype="FLOAT", what="float WAV with 100 NaN samples")
    inf = x.copy()
    inf[5] = np.inf
    wav("04_inf.wav", inf, subtype="FLOAT", what="float WAV with an Inf sample")
    wav("05_clipped.wav", np.clip(x * 8, -1, 1), what="speech amplified 18 dB and hard-clipped")
    wav("06_dc_offset.wav", np.clip(x * 0.5 + 0.3, -1, 1), what="speech with a +0.3 DC offset")
    wav("07_8bit.wav", x, subtype="PCM_U8", what="unsigned 8-bit WAV")
    wav("08_float32.wav", x, subtype="FLOAT", what="32-bit float WAV")
    import soxr
    wav("09_96k.wav", soxr.resample(x, SR, 96000), sr=96000, what="96 kHz WAV")
    wav("10_6ch.wav", np.stack([x * (0.5 + 0.1 * k) for k in range(6)], axis=1), what="6-channel WAV")
    (folder / "11_empty.wav").write_bytes(b"")
    cases["11_empty.wav"] = "a 0-byte file"
    data = speech.read_bytes()
    (folder / "12_truncated.flac").write_bytes(data[: len(data) // 20])
    cases["12_truncated.flac"] = "a FLAC cut to 5% of its bytes"
    corrupt = bytearray(data)
    corrupt[4:4096] = bytes(4092)
    (folder / "13_corrupt.flac").write_bytes(bytes(corrupt))
    cases["13_corrupt.flac"] = "a FLAC with its header zeroed"
    (folder / "14_not_audio.wav").write_text("this is a text file with an audio name\n" * 50)
    cases["14_not_audio.wav"] = "a text file named .wav"
    return cases
