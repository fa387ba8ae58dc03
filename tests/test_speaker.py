"""The speaker encoder (resemblyzer's network in numpy), attribution, voiceprints and enrolment."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from speaker_signal import voice_like

from assistant.cli import enrol
from assistant.speech import speaker
from assistant.store import voiceprints

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((Path(__file__).parent / "data" / "speaker_reference.json").read_text())
SHARED = Path(os.environ.get("CHECKIN_SHARED_SPEECH", ROOT.parent / "shared" / "speech"))


def cos(a, b):
    return float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b))


def s16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(samples.astype("<i2").tobytes())
    return path


# --------------------------------------------------------------------------- the port


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: f"f0={c['f0']:g}")
def test_the_port_gives_the_committed_resemblyzer_embeddings(case):
    got = speaker.embed_utterance(voice_like(case["f0"], case["seconds"]))
    assert got.shape == (256,)
    assert cos(got, np.array(case["embedding"])) > 0.999


def test_the_port_gives_the_same_embeddings_as_resemblyzer_itself():
    pytest.importorskip("torch")
    resemblyzer = pytest.importorskip("resemblyzer")
    encoder = resemblyzer.VoiceEncoder("cpu", verbose=False)
    for f0, seconds in ((95.0, 0.9), (180.0, 2.4), (240.0, 4.1)):
        x = voice_like(f0, seconds)
        assert cos(speaker.embed_utterance(x), encoder.embed_utterance(x)) > 0.9999


def test_the_mel_frames_are_librosas():
    librosa = pytest.importorskip("librosa")
    x = voice_like(150.0, 1.3)
    ref = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    got = speaker.mel_spectrogram(x)
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() <= 1e-4 * np.abs(ref).max()


def test_streaming_windows_equal_the_whole_utterance_mel():
    """Fed in odd-sized pieces, the attributor computes the same mel frames as at once."""
    x = s16(voice_like(130.0, 3.3))
    whole = speaker.Attributor({})
    whole.feed(x.tobytes())
    whole.finish()
    pieces = speaker.Attributor({})
    for start in range(0, x.size, 777):
        pieces.feed(x[start : start + 777].tobytes())
    pieces.finish()
    a, b = whole.windows[0], pieces.windows[0]
    assert len(a) == len(b) >= 3
    assert all(cos(u, v) > 0.99999 for u, v in zip(a, b))


def test_a_missing_model_is_one_line(tmp_path):
    with pytest.raises(speaker.SpeakerModelMissing, match="missing or unreadable"):
        speaker.Encoder.load(tmp_path / "nothing.npz")


# --------------------------------------------------------------------------- attribution


@pytest.fixture(scope="module")
def two_voices():
    low = [s16(voice_like(100.0 + 3 * k, 2.0)) for k in range(3)]
    high = [s16(voice_like(230.0 + 5 * k, 2.0)) for k in range(3)]
    return {"Kim": speaker.voiceprint(low)[0], "Rob": speaker.voiceprint(high)[0]}


def attribute(prints, samples):
    att = speaker.Attributor(prints)
    att.feed(samples.tobytes())
    return att.result()


def test_each_voice_is_attributed_to_its_partner(two_voices):
    assert attribute(two_voices, s16(voice_like(104.0, 1.8))).speaker == "Kim"
    assert attribute(two_voices, s16(voice_like(236.0, 0.7))).speaker == "Rob"


def test_with_one_enrolled_an_utterance_is_that_partner_or_nobody(two_voices):
    kim_only = {"Kim": two_voices["Kim"]}
    assert attribute(kim_only, s16(voice_like(104.0, 1.8))).speaker == "Kim"
    assert attribute(kim_only, s16(voice_like(236.0, 1.8))).speaker is None


def test_two_voices_in_one_utterance_give_the_one_with_most_frames_or_nobody(two_voices):
    kim, rob = s16(voice_like(104.0, 5.0)), s16(voice_like(236.0, 5.0))
    mostly_kim = np.concatenate([kim, rob[: int(0.8 * 16000)]])
    assert attribute(two_voices, mostly_kim).speaker == "Kim"
    halves = np.concatenate([kim[: 3 * 16000], rob[: 3 * 16000]])
    decision = attribute(two_voices, halves)
    assert decision.speaker is None and set(decision.shares) == {"Kim", "Rob"}


def test_silence_and_nobody_enrolled_give_nobody(two_voices):
    assert attribute(two_voices, np.zeros(16000, dtype=np.int16)).speaker is None
    assert attribute({}, s16(voice_like(104.0, 1.8))).speaker is None


# --------------------------------------------------------------------------- voiceprints


def test_voiceprints_are_owner_only_renamed_and_forgotten(tmp_path):
    path = tmp_path / "data" / voiceprints.FILE_NAME
    vec = np.ones(256, dtype=np.float32)
    voiceprints.put(path, "Kim", vec, 6.0)
    voiceprints.put(path, "Rob", -vec, 5.0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert voiceprints.rename(path, {"Kim": "Kimberly", "Rob": "Rob"}) == ["Kim"]
    prints = voiceprints.load(path)
    assert set(prints) == {"Kimberly", "Rob"} and prints["Kimberly"].seconds == 6.0
    assert cos(prints["Kimberly"].embedding, vec) > 0.9999
    assert "audio" not in path.read_text() and len(path.read_bytes()) < 20_000
    assert voiceprints.forget(path) == 2
    assert not path.exists() and voiceprints.load(path) == {}


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"version": 1}',
        '{"version": 1, "model": "resemblyzer-0.1.4", "partners": {"K": {"embedding": [1]}}}',
    ],
)
def test_a_damaged_voiceprints_file_is_one_line(tmp_path, text):
    path = tmp_path / voiceprints.FILE_NAME
    path.write_text(text)
    with pytest.raises(voiceprints.VoiceprintError) as info:
        voiceprints.load(path)
    assert "\n" not in str(info.value) and "checkin" in str(info.value)


# --------------------------------------------------------------------------- enrolment


def checkin(args, env, cwd):
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


@pytest.fixture
def setup(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        f"partners: [Kim, Rob]\ndialogs: {ROOT / 'dialogs'}\njournal: {{path: {tmp_path / 'j' / 'journal.sqlite3'}}}\n"
    )
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return config, env, tmp_path


def test_checkin_enrol_keeps_only_a_voiceprint_and_doctor_shows_it(setup):
    config, env, tmp = setup
    low = tmp / "kim.wav"
    write_wav(low, np.concatenate([s16(voice_like(105.0, 2.5)), np.zeros(8000, np.int16), s16(voice_like(110.0, 2.5))]))
    result = checkin(["--config", str(config), "enrol", "Kim", str(low)], env, tmp)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Enrolled Kim: a voiceprint from")
    prints = tmp / "j" / voiceprints.FILE_NAME
    assert stat.S_IMODE(prints.stat().st_mode) == 0o600
    assert set(json.loads(prints.read_text())["partners"]) == {"Kim"}
    assert not list((tmp / "j").glob("*.wav"))
    doctor = checkin(["--config", str(config), "doctor"], env, tmp)
    line = next(x for x in doctor.stdout.splitlines() if " voices:" in x)
    assert line.startswith("warn") and "Kim enrolled" in line and "Rob not enrolled" in line
    forget = checkin(["--config", str(config), "forget", "--yes"], env, tmp)
    assert forget.returncode == 0 and "1 voiceprint(s)" in forget.stdout
    assert not prints.exists()


def test_enrol_with_too_little_speech_or_a_broken_wav_is_one_line_and_exit_2(setup):
    config, env, tmp = setup
    short = write_wav(tmp / "short.wav", s16(voice_like(105.0, 1.5)))
    silent = write_wav(tmp / "silent.wav", np.zeros(16000 * 6, np.int16))
    broken = tmp / "broken.wav"
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    for files, words in (([short], "at least 4 s"), ([short, silent], "at least 4 s"), ([broken], "broken.wav")):
        result = checkin(["--config", str(config), "enrol", "Kim", *map(str, files)], env, tmp)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp / "j" / voiceprints.FILE_NAME).exists()


def test_setup_reads_three_sentences_per_partner_with_consent(tmp_path):
    path = tmp_path / voiceprints.FILE_NAME
    lines: list[str] = []
    kim = [s16(voice_like(100.0 + k, 2.0)) for k in range(3)]
    rob = [s16(voice_like(230.0 + k, 2.0)) for k in range(3)]
    takes = iter(kim + rob)

    def listen():
        pcm = np.concatenate([np.zeros(8000, np.int16), next(takes), np.zeros(24000, np.int16)])
        from assistant.speech.audio import chunks

        return iter(chunks(pcm.tobytes()))

    assert enrol.setup_voices(("Kim", "Rob"), path, lambda q: "no", lines.append, listen) == []
    assert not path.exists()
    done = enrol.setup_voices(("Kim", "Rob"), path, lambda q: "yes", lines.append, listen)
    assert [d.name for d in done] == ["Kim", "Rob"]
    assert sum(s in " ".join(lines) for s in enrol.SENTENCES) == 3
    prints = voiceprints.load(path)
    assert cos(prints["Kim"].embedding, prints["Rob"].embedding) < 0.95


# --------------------------------------------------------------------------- real voices


pytestmark_speech = pytest.mark.skipif(not (SHARED / "no-wake").is_dir(), reason="shared speech absent")


@pytestmark_speech
def test_real_speakers_are_told_apart():
    clips = sorted((SHARED / "no-wake").glob("resemblyzer_librispeech*.wav"))[:6]
    from assistant.speech.audio import read_wav

    audio = [np.frombuffer(read_wav(p), dtype="<i2") for p in clips]
    audio = [a for a in audio if a.size > 10 * 16000][:4]
    prints = {f"s{i}": speaker.voiceprint([a[: 6 * 16000]])[0] for i, a in enumerate(audio)}
    for i, a in enumerate(audio):
        piece = a[7 * 16000 : int(9.5 * 16000)]
        pair = {f"s{i}": prints[f"s{i}"], f"s{(i + 1) % len(audio)}": prints[f"s{(i + 1) % len(audio)}"]}
        assert attribute(pair, piece).speaker == f"s{i}"


def _clips(speaker_id: str) -> list[Path]:
    return sorted((SHARED / "commands").glob(f"*__{speaker_id}_nohash_*.wav"))


KIM, ROB = "893705bb", "1acc97de"
"""Two Speech Commands speakers who say "yes" among other words (Kim has 7 more words, Rob 4):
each is enrolled on the other words and answers with the "yes" left out."""


@pytest.mark.speech
@pytest.mark.skipif(not (SHARED / "commands").is_dir(), reason="shared speech absent")
def test_two_real_voices_the_wrong_partners_yes_never_starts_a_hug(setup):
    from assistant.speech.audio import read_wav

    config, env, tmp = setup
    kim_yes = next(p for p in _clips(KIM) if "__yes__" in p.name)
    rob_yes = next(p for p in _clips(ROB) if "__yes__" in p.name)
    # their other words hold 3.6 s and 2 s of speech, under `enrol`'s 4 s: kept through the library
    for name, who, yes in (("Kim", KIM, kim_yes), ("Rob", ROB, rob_yes)):
        other = [np.frombuffer(read_wav(p), dtype="<i2") for p in _clips(who) if p != yes]
        voiceprints.put(tmp / "j" / voiceprints.FILE_NAME, name, speaker.voiceprint(other)[0], 2.0)

    def chat(answers):
        stdin = "".join(json.dumps(a) + "\n" for a in answers)
        result = subprocess.run(
            [sys.executable, "-m", "assistant.cli", "--config", str(config), "chat", "--jsonl"]
            + ["--start", "affection", "--partners", "Kim,Rob", "--now", "2026-11-25T18:00"],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    wrong = chat([{"text": "a hug"}, {"audio": str(rob_yes)}, {"audio": str(rob_yes)}])
    heard = [e for e in wrong if e["type"] == "heard"]
    assert [e.get("speaker") for e in heard[1:]] == ["Rob", "Rob"]
    says = [e["text"] for e in wrong if e["type"] == "say"]
    assert says.count("I'd like to hear that from Kim.") == 2
    assert not any("Come close" in s for s in says)

    right = chat([{"text": "a hug"}, {"audio": str(rob_yes)}, {"audio": str(kim_yes)}, {"audio": str(rob_yes)}])
    heard = [e for e in right if e["type"] == "heard"]
    assert [(e["text"], e.get("speaker")) for e in heard[1:]] == [("yes", "Rob"), ("yes", "Kim"), ("yes", "Rob")]
    says = [e["text"] for e in right if e["type"] == "say"]
    at = says.index("I'd like to hear that from Kim.")
    assert "Rob, is that okay for you?" in says[at:]
    assert any("Come close" in s for s in says[at:])


def test_renaming_a_partner_in_setup_carries_the_voiceprint_over(setup):
    config, env, tmp = setup
    prints = tmp / "j" / voiceprints.FILE_NAME
    voiceprints.put(prints, "Kim", np.ones(256, np.float32), 5.0)
    voiceprints.put(prints, "Rob", -np.ones(256, np.float32), 5.0)
    answers = ["Kimberly", "", "", "", "uk", "", "", ""]  # a new first name, a country; the rest kept
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "setup", "--config", str(config), "--skip-devices"],
        input="".join(a + "\n" for a in answers),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Kim's voiceprint now belongs to Kimberly." in result.stdout
    kept = voiceprints.load(prints)
    assert set(kept) == {"Kimberly", "Rob"} and cos(kept["Kimberly"].embedding, np.ones(256)) > 0.9999
