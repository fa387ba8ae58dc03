"""Audio edge: WAV reading, chunking, speakers, and the microphone through ALSA.

There is no sound card here.  The microphone tests define ALSA devices with the
``file`` plugin (``infile`` replays a raw file as the capture stream, ``file`` records
playback) in an asoundrc under ``tmp_path`` and run the code in a fresh Python process
with ``HOME`` pointing there: PortAudio reads the ALSA configuration once, at init.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from assistant.formats.events import AudioChunk
from assistant.speech.audio import (
    AudioError,
    NullSpeaker,
    WavSource,
    WavWriterSpeaker,
    chunks,
    read_wav,
    resample,
    wav_bytes,
    write_wav,
)

ROOT = Path(__file__).resolve().parents[1]
needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2")


def dominant_hz(pcm: bytes, rate: int = 16000) -> float:
    x = samples(pcm).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


# --------------------------------------------------------------------------- read_wav


@needs_sox
def test_read_wav_8k_stereo_becomes_16k_mono(tmp_path: Path) -> None:
    path = tmp_path / "stereo8k.wav"
    sox("-n", "-r", "8000", "-c", "2", "-b", "16", str(path), "synth", "1.5", "sine", "440", "gain", "-6")
    pcm = read_wav(path)
    assert len(pcm) == 2 * 24000
    assert abs(dominant_hz(pcm) - 440) < 2
    level = np.sqrt(np.mean(samples(pcm)[1000:-1000].astype(float) ** 2)) / 32768
    assert abs(20 * np.log10(level) - (-6 - 3.01)) < 0.3  # a -6 dBFS sine keeps its level


@needs_sox
def test_read_wav_stereo_channels_are_averaged(tmp_path: Path) -> None:
    left = (np.sin(np.arange(8000) * 2 * np.pi * 300 / 8000) * 10000).astype("<i2")
    both = np.stack([left, -left], axis=1)  # opposite phases cancel in the mix
    path = tmp_path / "cancel.wav"
    write_wav(path, both.tobytes(), rate=8000, channels=2)
    assert np.abs(samples(read_wav(path))).max() <= 1


@needs_sox
@pytest.mark.parametrize("bits", ["8", "16", "24", "32"])
def test_read_wav_44k1_any_depth(tmp_path: Path, bits: str) -> None:
    path = tmp_path / f"tone{bits}.wav"
    sox("-n", "-r", "44100", "-c", "1", "-b", bits, str(path), "synth", "1", "sine", "1000", "gain", "-3")
    pcm = read_wav(path)
    assert len(pcm) == 2 * 16000
    assert abs(dominant_hz(pcm) - 1000) < 2


@needs_sox
def test_read_wav_float_wav(tmp_path: Path) -> None:
    path = tmp_path / "float.wav"
    sox("-n", "-r", "22050", "-c", "1", "-e", "floating-point", "-b", "32", str(path), "synth", "0.5", "sine", "500")
    pcm = read_wav(path)
    assert abs(len(pcm) / 2 - 8000) <= 1
    assert abs(dominant_hz(pcm) - 500) < 3


def test_read_wav_16k_mono_is_bit_exact(tmp_path: Path) -> None:
    x = np.random.default_rng(0).integers(-32768, 32767, 16000, dtype=np.int16).astype("<i2")
    path = tmp_path / "exact.wav"
    write_wav(path, x.tobytes())
    assert read_wav(path) == x.tobytes()


def test_resample_keeps_a_tone_with_or_without_soxr() -> None:
    from assistant.speech.audio import _resample_sinc

    t = np.arange(44100) / 44100
    x = 0.5 * np.sin(2 * np.pi * 700 * t)
    ref = 0.5 * np.sin(2 * np.pi * 700 * np.arange(16000) / 16000)
    for y in (resample(x, 44100, 16000), _resample_sinc(x, 44100, 16000)):
        assert len(y) == 16000
        assert np.abs(y[200:-200] - ref[200:-200]).max() < 1e-3


@pytest.mark.parametrize(
    "content, message",
    [
        (b"hello, this is text", "not a WAV file"),
        (b"", "not a WAV file"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "no fmt chunk"),
        (b"RIFF\x10\x00\x00\x00WAVEjunk\x00\x00\x00\x00", "no fmt chunk"),
    ],
)
def test_read_wav_rejects_non_wav_in_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as info:
        read_wav(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_read_wav_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="cannot read"):
        read_wav(tmp_path / "missing.wav")
    with pytest.raises(AudioError, match="cannot read"):
        read_wav(tmp_path)


def test_read_wav_without_data_chunk(tmp_path: Path) -> None:
    header = wav_bytes(b"")[:36]  # RIFF + fmt, no data chunk
    path = tmp_path / "nodata.wav"
    path.write_bytes(header)
    with pytest.raises(AudioError, match="no data chunk"):
        read_wav(path)


# --------------------------------------------------------------------------- chunks & sources


def test_chunks_timestamps_on_the_audio_clock() -> None:
    pcm = np.arange(16000 + 100, dtype="<i2").tobytes()  # 1.00625 s
    out = list(chunks(pcm, chunk_ms=30, start=2.5))
    assert [len(c.pcm) for c in out[:-1]] == [960] * 33
    assert len(out[-1].pcm) == len(pcm) - 33 * 960
    for i, c in enumerate(out):
        assert c.rate == 16000 and c.channels == 1
        assert c.timestamp == pytest.approx(2.5 + i * 0.03, abs=1e-12)
    assert b"".join(c.pcm for c in out) == pcm
    assert sum(c.seconds for c in out) == pytest.approx(len(pcm) / 32000)


def test_chunks_of_nothing_and_other_rates() -> None:
    assert list(chunks(b"")) == []
    out = list(chunks(b"\x00\x00" * 800, rate=8000, chunk_ms=20))
    assert [c.timestamp for c in out] == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08])


def test_wav_source(tmp_path: Path) -> None:
    x = (np.arange(4800) % 200 - 100).astype("<i2").tobytes()
    write_wav(tmp_path / "a.wav", x)
    src = WavSource(tmp_path / "a.wav")
    assert src.seconds == pytest.approx(0.3)
    got = list(src.chunks())
    assert len(got) == 10 and isinstance(got[0], AudioChunk)
    assert b"".join(c.pcm for c in got) == x
    with pytest.raises(AudioError):
        WavSource(tmp_path / "nope.wav")


# --------------------------------------------------------------------------- speakers


def test_wav_writer_speaker_appends_everything(tmp_path: Path) -> None:
    path = tmp_path / "out" / "played.wav"
    spk = WavWriterSpeaker(path)
    assert read_wav(path) == b""  # a valid empty WAV from the start
    a = (np.arange(1600) % 100).astype("<i2").tobytes()
    spk.play(a, 16000)
    assert read_wav(path) == a  # valid after every play
    tone = (np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000) * 8000).astype("<i2").tobytes()
    spk.play(tone, 8000)  # another rate: resampled
    pcm = read_wav(path)
    assert pcm[: len(a)] == a
    assert len(pcm) == len(a) + 2 * 16000
    assert abs(dominant_hz(pcm[len(a) :]) - 440) < 2
    assert spk.seconds == pytest.approx(1.1)


def test_null_speaker() -> None:
    spk = NullSpeaker()
    spk.play(b"\x00\x00" * 16000, 16000)
    spk.play(b"\x00\x00" * 8000, 8000)
    assert spk.plays == 2 and spk.seconds == pytest.approx(2.0)


# --------------------------------------------------------------------------- ALSA devices

ASOUNDRC = """\
pcm.checkin_mic {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{infile}"
    format "raw"
}}
pcm.checkin_speaker {{
    type file
    slave.pcm "null"
    file "{outfile}"
    format "raw"
}}
"""


def run_isolated(tmp_path: Path, script: str, timeout: float = 30.0) -> dict:
    """Run ``script`` in a fresh interpreter that sees only our ALSA devices."""
    env = dict(os.environ)
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / ".config"),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.pop("ALSA_CONFIG_PATH", None)
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(lines[-1])


def alsa_available() -> bool:
    try:
        import sounddevice  # noqa: F401
    except OSError:
        return False
    return Path("/usr/share/alsa/alsa.conf").exists()


needs_alsa = pytest.mark.skipif(not alsa_available(), reason="PortAudio/ALSA not available")


def speech_like(seconds: float, seed: int = 1) -> np.ndarray:
    """Deterministic, non-periodic test audio (so an offset cannot fake a match)."""
    rng = np.random.default_rng(seed)
    n = int(16000 * seconds)
    env = 0.5 + 0.5 * np.sin(np.arange(n) * 2 * np.pi * 4 / 16000)
    return (rng.normal(0, 4000, n) * env).clip(-32768, 32767).astype("<i2")


@needs_alsa
def test_mic_and_speaker_through_alsa_file_plugin(tmp_path: Path) -> None:
    audio = speech_like(1.5)
    raw = np.concatenate([audio, np.zeros(16000, dtype="<i2")])  # pad: past EOF is stale
    (tmp_path / "mic.raw").write_bytes(raw.tobytes())
    (tmp_path / ".asoundrc").write_text(ASOUNDRC.format(infile=tmp_path / "mic.raw", outfile=tmp_path / "speaker.raw"))
    (tmp_path / "play.raw").write_bytes(audio[:8000].tobytes())
    result = run_isolated(
        tmp_path,
        """
        import json
        from pathlib import Path
        from assistant.speech.audio import (AudioError, MicSource, SoundDeviceSpeaker,
                                     find_device, list_devices)

        out = {"devices": list_devices()}
        mic = MicSource(device="checkin_mic", chunk_ms=30)
        got, stamps = bytearray(), []
        for chunk in mic.chunks():
            got += chunk.pcm
            stamps.append(chunk.timestamp)
            if len(got) >= 2 * 16000 * 2:
                break
        Path("captured.raw").write_bytes(bytes(got))
        out["stamps"] = stamps[:5]
        out["n_chunks"] = len(stamps)
        out["mic_index"] = find_device("checkin_mic", "input")
        out["by_index"] = find_device(str(out["mic_index"]), "input")
        errors = {}
        for spec in ("no such device", 99, "checkin", ""):
            try:
                find_device(spec, "input")
            except AudioError as exc:
                errors[str(spec)] = str(exc)
        try:
            out["default"] = find_device(None, "input")
        except AudioError as exc:  # PortAudio picks a default when it can
            out["default"] = str(exc)
        try:
            list(MicSource(device="nothing like it").chunks())
        except AudioError as exc:
            errors["mic"] = str(exc)
        out["errors"] = errors
        SoundDeviceSpeaker("checkin_speaker").play(Path("play.raw").read_bytes(), 16000)
        print(json.dumps(out))
        """,
    )
    names = " ".join(result["devices"])
    assert "checkin_mic" in names and "checkin_speaker" in names

    # The microphone delivers the file's samples bit-exactly (after any leading offset).
    captured = (tmp_path / "captured.raw").read_bytes()
    want = audio.tobytes()
    offset = captured.find(want[:4000])
    assert offset >= 0 and offset % 2 == 0, "file audio not found in the capture"
    assert captured[offset : offset + len(want)] == want
    assert result["stamps"] == pytest.approx([0.0, 0.03, 0.06, 0.09, 0.12])
    assert result["by_index"] == result["mic_index"]

    # The speaker wrote exactly what it was given.
    assert (tmp_path / "speaker.raw").read_bytes()[:16000] == audio[:8000].tobytes()

    errors = result["errors"]
    assert "no input device matches 'no such device'" in errors["no such device"]
    assert "checkin_mic" in errors["no such device"]  # lists what is available
    assert "no input device with index 99" in errors["99"]
    assert "ambiguous" in errors["checkin"] and "checkin_speaker" in errors["checkin"]
    assert "empty input device name" in errors[""]
    assert isinstance(result["default"], int) or "no default input device" in result["default"]
    assert "no input device matches 'nothing like it'" in errors["mic"]
    assert all("\n" not in e for e in errors.values())


@needs_alsa
def test_mic_that_stops_delivering_raises_audio_error(tmp_path: Path) -> None:
    """A device that stalls (here a FIFO nobody writes to any more) must not hang us.

    A USB microphone pulled out mid-stream either errors in the read (PortAudioError,
    turned into AudioError by the reader thread) or, with PortAudio's ALSA backend,
    can block forever; both end in AudioError.  The ALSA ``file`` plugin cannot fail
    a read mid-stream (read errors are only logged), so the stall is what we test.
    """
    fifo = tmp_path / "mic.fifo"
    os.mkfifo(fifo)
    (tmp_path / ".asoundrc").write_text(ASOUNDRC.format(infile=fifo, outfile="/dev/null"))
    keep_open = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer that never closes
    try:
        os.write(keep_open, speech_like(0.5).tobytes())
        result = run_isolated(
            tmp_path,
            """
            import json, os
            from assistant.speech.audio import AudioError, MicSource

            got = 0
            try:
                for chunk in MicSource(device="checkin_mic", stall_s=0.5).chunks():
                    got += len(chunk.pcm)
                    if got > 16000 * 2 * 10:
                        break
                outcome = "no error"
            except AudioError as exc:
                outcome = str(exc)
            print(json.dumps({"outcome": outcome, "seconds": got / 32000}), flush=True)
            os._exit(0)  # the PortAudio thread may still sit in its blocked read
            """,
        )
    finally:
        os.close(keep_open)
    assert "stopped delivering audio" in result["outcome"]
    assert "checkin_mic" in result["outcome"]
    assert result["seconds"] >= 0.4


@needs_alsa
def test_mic_at_another_device_rate_is_resampled_to_16k(tmp_path: Path) -> None:
    """Raw hw: devices often capture only at 44.1/48 kHz: capture there, deliver 16 kHz."""
    t = np.arange(48000 * 2) / 48000
    tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    (tmp_path / "mic48.raw").write_bytes(np.concatenate([tone, np.zeros(48000, "<i2")]).tobytes())
    (tmp_path / ".asoundrc").write_text(ASOUNDRC.format(infile=tmp_path / "mic48.raw", outfile="/dev/null"))
    result = run_isolated(
        tmp_path,
        """
        import json
        from pathlib import Path
        from assistant.speech.audio import MicSource

        mic = MicSource(device="checkin_mic", device_rate=48000)
        got, stamps, rates = bytearray(), [], set()
        for chunk in mic.chunks():
            got += chunk.pcm
            stamps.append((chunk.timestamp, chunk.seconds))
            rates.add(chunk.rate)
            if len(got) >= 2 * 16000 * 2:
                break
        Path("captured.raw").write_bytes(bytes(got))
        print(json.dumps({"stamps": stamps, "rates": sorted(rates), "capture_rate": mic.capture_rate}))
        """,
    )
    assert result["rates"] == [16000] and result["capture_rate"] == 48000
    for (t0, d0), (t1, _) in zip(result["stamps"], result["stamps"][1:]):
        assert t1 == pytest.approx(t0 + d0)  # contiguous on the 16 kHz clock
    captured = (tmp_path / "captured.raw").read_bytes()[: 2 * 16000]
    assert abs(dominant_hz(captured[2000:]) - 440) < 2
    level = np.sqrt(np.mean(samples(captured)[2000:].astype(float) ** 2))
    assert level == pytest.approx(8000 / np.sqrt(2), rel=0.02)
