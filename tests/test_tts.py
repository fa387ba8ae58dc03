"""Speech output through the real pyttsx3 + espeak-ng, and the on-disk prompt cache."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import platformdirs
import pytest

from assistant.speech.tts import PromptCache, Pyttsx3Synth, TTSError, default_cache_dir, render_base_dir
from assistant.speech.vad import segments

pytestmark = pytest.mark.speech

SENTENCE = "Take a slow breath together, and tell each other one good thing about today."


@pytest.fixture(scope="module")
def synth() -> Pyttsx3Synth:
    return Pyttsx3Synth()


class CountingSynth:
    """A real synth that counts its renders (a wrapper, not a mock)."""

    def __init__(self, inner: Pyttsx3Synth) -> None:
        self.inner = inner
        self.calls: list[tuple[str, float]] = []
        self.name, self.voice, self.rate, self.volume = inner.name, inner.voice, inner.rate, inner.volume

    def render(self, text: str, rate_factor: float = 1.0) -> bytes:
        self.calls.append((text, rate_factor))
        return self.inner.render(text, rate_factor)


def seconds(pcm: bytes) -> float:
    return len(pcm) / 32000


def test_render_gives_plausible_speech(synth: Pyttsx3Synth) -> None:
    t = time.perf_counter()
    pcm = synth.render(SENTENCE)
    elapsed = time.perf_counter() - t
    assert len(pcm) % 2 == 0
    words = len(SENTENCE.split())
    expected = words / synth.rate * 60  # at 165 wpm
    assert 0.6 * expected < seconds(pcm) < 1.8 * expected
    x = np.frombuffer(pcm, dtype="<i2")
    assert np.abs(x).max() > 3000
    found = segments(pcm)  # it is speech: the VAD hears it
    assert found and found[0][0] < 0.2
    assert elapsed < 2.0  # ~20-40 ms here


def test_slower_rate_factor_gives_longer_audio(synth: Pyttsx3Synth) -> None:
    normal = seconds(synth.render(SENTENCE, 1.0))
    slow = seconds(synth.render(SENTENCE, 0.7))
    fast = seconds(synth.render(SENTENCE, 1.3))
    assert slow > 1.25 * normal
    assert fast < 0.9 * normal
    # and the factor is not sticky: back at 1.0 the length is back too
    assert seconds(synth.render(SENTENCE, 1.0)) == pytest.approx(normal, abs=0.05)


def test_two_synths_sharing_the_engine_keep_their_settings(synth: Pyttsx3Synth) -> None:
    slow = Pyttsx3Synth(rate=110)
    a1 = seconds(synth.render("Let us begin."))
    b1 = seconds(slow.render("Let us begin."))
    a2 = seconds(synth.render("Let us begin."))
    assert b1 > 1.2 * a1
    assert a2 == pytest.approx(a1, abs=0.05)


def test_blank_text_and_errors(synth: Pyttsx3Synth) -> None:
    assert synth.render("") == b""
    assert synth.render("   \n") == b""
    with pytest.raises(TTSError, match="rate_factor"):
        synth.render("hello", 0)
    with pytest.raises(TTSError, match="unknown espeak voice 'no-such-voice'") as info:
        Pyttsx3Synth(voice="no-such-voice")
    assert "\n" not in str(info.value)


def test_voice_by_id_or_name() -> None:
    assert Pyttsx3Synth(voice="gmw/en-us").voice == "gmw/en-us"
    assert Pyttsx3Synth(voice="English (America)").voice == "gmw/en-us"
    ids = [v for v, _ in Pyttsx3Synth.voices()]
    assert "gmw/en" in ids


def test_cache_hit_does_not_touch_the_synth(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    counting = CountingSynth(synth)
    cache = PromptCache(counting, tmp_path / "prompts")
    first = cache.render(SENTENCE)
    assert counting.calls == [(SENTENCE, 1.0)]
    again = cache.render(SENTENCE)
    assert again == first and len(counting.calls) == 1
    # A new cache object over the same directory (the next session) hits too.
    later = PromptCache(counting, tmp_path / "prompts")
    assert later.render(SENTENCE) == first and len(counting.calls) == 1
    assert (cache.hits, cache.misses, later.hits) == (1, 1, 1)
    # Only finished files remain: the temp file was renamed into place.
    assert [p.suffix for p in (tmp_path / "prompts").iterdir()] == [".wav"]


def test_cache_key_covers_the_rendering_settings(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    counting = CountingSynth(synth)
    cache = PromptCache(counting, tmp_path)
    k = cache.key(SENTENCE)
    assert len(k) == 64 and k == cache.key(SENTENCE, 1.0)
    assert cache.key(SENTENCE, 0.8) != k
    assert cache.key(SENTENCE + " ") != k
    slower = cache.render(SENTENCE, 0.8)
    normal = cache.render(SENTENCE, 1.0)
    assert counting.calls == [(SENTENCE, 0.8), (SENTENCE, 1.0)]
    assert seconds(slower) > seconds(normal)
    for attr, value in (("voice", "gmw/en-us"), ("rate", 120), ("volume", 0.5)):
        other = CountingSynth(synth)
        setattr(other, attr, value)
        assert PromptCache(other, tmp_path).key(SENTENCE) != k, attr


def test_prepare_renders_only_what_is_missing(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    counting = CountingSynth(synth)
    cache = PromptCache(counting, tmp_path)
    texts = ["Welcome back.", "How are you both?", "Welcome back.", "", "Let's begin."]
    assert cache.prepare(texts) == 3
    assert cache.prepare(texts) == 0
    assert cache.prepare(texts, rate_factors=(1.0, 0.8)) == 3
    assert len(counting.calls) == 6
    before = len(counting.calls)
    for text in ("Welcome back.", "How are you both?", "Let's begin."):
        cache.render(text)
        cache.render(text, 0.8)
    assert len(counting.calls) == before


def test_corrupt_entry_is_rendered_again(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    counting = CountingSynth(synth)
    cache = PromptCache(counting, tmp_path)
    pcm = cache.render("Good night.")
    cache.path("Good night.").write_bytes(b"garbage")
    again = cache.render("Good night.")
    assert len(counting.calls) == 2 and abs(len(again) - len(pcm)) < 3200
    assert cache.render("Good night.") == again and len(counting.calls) == 2


def test_unwritable_cache_dir_is_a_tts_error(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(TTSError, match="cannot write prompt cache"):
        PromptCache(synth, blocker / "prompts").render("Hello.")


def test_default_cache_dir_is_the_user_cache() -> None:
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("checkin")) / "prompts"
    assert PromptCache(CountingSynth.__new__(CountingSynth)).dir == default_cache_dir()


def test_render_does_not_print(synth: Pyttsx3Synth, capfd: pytest.CaptureFixture[str]) -> None:
    synth.render("Quietly now.")
    assert capfd.readouterr().out == ""
    assert not any(name.startswith("checkin-tts-") for name in os.listdir(render_base_dir())), (
        "the private render folder is gone"
    )


def test_only_static_prompts_reach_the_cache_in_a_private_folder(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    counting = CountingSynth(synth)
    cache = PromptCache(counting, tmp_path / "prompts", static={"Welcome back."})
    cache.render("Welcome back.")
    secret = cache.render("I heard Alex say: the move scares me.")
    assert len(secret) > 3200 and cache.uncached == 1
    assert [p.name for p in (tmp_path / "prompts").iterdir()] == [cache.path("Welcome back.").name]
    assert (tmp_path / "prompts").stat().st_mode & 0o777 == 0o700
    assert cache.path("Welcome back.").stat().st_mode & 0o777 == 0o600
    cache.render("I heard Alex say: the move scares me.")
    assert len(counting.calls) == 3, "a read-back is rendered every time, never read from disk"
    assert cache.clear() == 1 and list((tmp_path / "prompts").iterdir()) == []


def test_renders_go_through_a_ram_backed_folder_when_there_is_one(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert render_base_dir() == str(tmp_path)
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert render_base_dir() == ("/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir())
