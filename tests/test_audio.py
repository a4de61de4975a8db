import numpy as np
import pytest
import soundfile as sf

from bench.audio import AudioError, load_mono, match_length, read_audio, resample, to_mono


def test_reads_bundled_flac_mono_16k(speech_files):
    audio = read_audio(speech_files[0])
    assert audio.sample_rate == 16000 and audio.channels == 1
    assert 4.0 <= audio.duration <= 35.0
    assert audio.samples.dtype == np.float64 and np.abs(audio.samples).max() <= 1.0


def test_stereo_music_downmix_and_resample_are_recorded(general_files):
    path = [p for p in general_files if "brahms" in p.name][0]
    audio = read_audio(path)
    assert audio.channels == 2 and audio.sample_rate == 44100
    x, steps = load_mono(path, 16000)
    assert steps == ["downmix 2ch->mono (mean)", steps[1]]
    assert steps[1].startswith("resample 44100->16000 Hz (soxr")
    assert abs(len(x) - round(audio.samples.shape[1] * 16000 / 44100)) <= 1
    np.testing.assert_allclose(to_mono(audio.samples)[0], audio.samples.mean(0))


def test_mono_16k_needs_no_steps(speech_files):
    x, steps = load_mono(speech_files[0], 16000)
    assert steps == []
    assert len(x) == sf.info(str(speech_files[0])).frames


def test_resampling_preserves_a_tone():
    sr = 44100
    t = np.arange(sr) / sr
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    y, note = resample(x, sr, 16000)
    assert "44100->16000" in note and len(y) == 16000
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) == 440      # 1 Hz bins over one second
    assert abs(np.sqrt(np.mean(y[1000:-1000] ** 2)) - 0.5 / np.sqrt(2)) < 1e-3


def test_match_length_trims_and_pads_explicitly():
    x = np.arange(10.0)
    y, note = match_length(x, 7)
    assert len(y) == 7 and note == "trim 3 samples (10->7)"
    y, note = match_length(x, 12)
    assert len(y) == 12 and y[-1] == 0 and note == "zero-pad 2 samples (10->12)"
    assert match_length(x, 10)[1] is None


@pytest.mark.parametrize("content, reason", [(b"", "empty file"), (b"not audio at all" * 10, "cannot decode")])
def test_bad_files_raise_audio_error_naming_file(tmp_path, content, reason):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=reason) as err:
        read_audio(path)
    assert "bad.wav" in str(err.value)


def test_truncated_flac_is_an_audio_error(tmp_path, speech_files):
    data = speech_files[0].read_bytes()
    path = tmp_path / "cut.flac"
    path.write_bytes(data[:200])
    with pytest.raises(AudioError, match="cut.flac"):
        read_audio(path)


def test_six_channel_96k_float_file(tmp_path):
    path = tmp_path / "six.wav"
    sig = np.random.default_rng(0).uniform(-0.5, 0.5, size=(9600, 6))
    sf.write(path, sig, 96000, subtype="FLOAT")
    x, steps = load_mono(path, 16000)
    assert steps[0] == "downmix 6ch->mono (mean)" and "96000->16000" in steps[1]
    assert len(x) == 1600
