"""Dialog files: load and validate, in layers.

``load_dir(path)`` -> ``load_file(path)`` -> ``from_yaml(text, source)`` -> ``from_dict(data, source)``.

Each layer adds what only it can know: the file layer reads bytes, the YAML layer parses
safely and remembers where every value stands (line numbers), the dict layer checks the
shape against a JSON Schema and then the meaning (that every ``goto`` names a node, that
templates parse...).  Every problem is a :class:`DialogError` whose one-line message names
the file, the line and the field, e.g.::

    dialogs/name-a-feeling.yaml:14: nodes.ask.lexicon.name: unknown lexicon 'feelz'

A dialog directory holds ``*.yaml`` dialogs (a ``checkin`` and ``exercise`` kind), a
``common.yaml`` (global commands, default re-prompts, shared phrase sets) and
``lexicons/*.yaml`` (word lists with families).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from rapidfuzz import fuzz, process

END = "end"
"""The special ``next``/``goto`` target that finishes the current dialog."""

NODE_KINDS = ("choice", "capture", "lexicon", "form", "overlap", "branch", "menu", "call", "pause")
"""Capabilities a node can have (at most one each); a node with none just speaks."""

LISTENING_KINDS = ("choice", "capture", "lexicon", "form", "menu", "pause")


class DialogError(Exception):
    """A dialog, lexicon or common file is invalid.  ``str()`` is one line."""

    def __init__(self, source: str, line: int | None, field_path: str, message: str):
        field_path, message = _one_line(field_path), _one_line(message)
        self.source = source
        self.line = line
        self.field = field_path
        self.message = message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {field_path + ': ' if field_path else ''}{message}")


def _one_line(text: str) -> str:
    return str(text).replace("\r", "\\r").replace("\n", "\\n")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Node:
    """One step of a dialog."""

    id: str
    kind: str | None
    """One of :data:`NODE_KINDS`, or None for a node that only speaks."""
    spec: Mapping[str, Any]
    """The whole node mapping as written (validated)."""

    def get(self, key: str, default: Any = None) -> Any:
        return self.spec.get(key, default)

    @property
    def body(self) -> Any:
        """The capability's own settings (``spec[kind]``)."""
        return self.spec.get(self.kind) if self.kind else None

    @property
    def listens(self) -> bool:
        return self.kind in LISTENING_KINDS


@dataclass(frozen=True)
class Dialog:
    """An exercise or the check-in itself."""

    id: str
    kind: str
    title: str
    names: tuple[str, ...]
    start: str
    nodes: Mapping[str, Node]
    record: Mapping[str, Any] | None
    summary: str | None
    rounds: str | None
    menu: bool
    source: str
    spec: Mapping[str, Any] = field(repr=False, default_factory=dict)
    where: Any = field(repr=False, compare=False, default=None)
    """Locates fields of the source file (for errors found across files)."""

    def line(self, path: list[Any]) -> int | None:
        return self.where.line(path) if self.where else None


@dataclass(frozen=True)
class Lexicon:
    """Words grouped into families, plus vague words with suggested families."""

    id: str
    words: Mapping[str, str]
    """word or phrase -> family."""
    vague: Mapping[str, tuple[str, ...]]
    """vague word or phrase -> a few specific words to offer."""
    source: str

    @property
    def families(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for word, family in self.words.items():
            out.setdefault(family, []).append(word)
        return out


@dataclass(frozen=True)
class DialogSet:
    """Everything the engine needs: dialogs by id, lexicons by id, the common settings."""

    dialogs: Mapping[str, Dialog]
    lexicons: Mapping[str, Lexicon]
    common: Mapping[str, Any]
    decks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def free_text_fields(self) -> set[str]:
        """``exercise:field`` for every record field that holds a free-form sentence (a
        captured answer without ``keep: true``): what ``journal.keep: summary`` leaves out."""
        out: set[str] = set()
        for dialog in self.dialogs.values():
            captured = {n.body["slot"] for n in dialog.nodes.values() if n.kind == "capture" and not n.body.get("keep")}
            exercise = (dialog.record or {}).get("exercise", dialog.id)
            for key, spec in (dialog.record or {}).items():
                if isinstance(spec, str) and spec.startswith("$") and spec[1:] in captured:
                    out.add(f"{exercise}:{key}")
        return out

    def exercises(self) -> list[Dialog]:
        """Exercises offered in the menu, in file-name order."""
        return [d for d in self.dialogs.values() if d.kind == "exercise" and d.menu]


# --------------------------------------------------------------------------- schemas

_text = {"type": "string", "minLength": 1}
_texts = {"oneOf": [_text, {"type": "array", "items": _text, "minItems": 1}]}
_target = {"type": "string", "pattern": r"^[A-Za-z0-9_.-]+$"}
_assign = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
_condition = {
    "type": "object",
    "properties": {
        "slot": {"type": "string"},
        "eq": {},
        "ne": {},
        "gte": {"type": "number"},
        "lt": {"type": "number"},
        "in": {"type": "array"},
        "set": {"type": "boolean"},
    },
    "required": ["slot"],
    "additionalProperties": False,
}
_choice_item = {
    "type": "object",
    "properties": {
        "label": _text,
        "phrases": {"type": "array", "items": _text},
        "like": {"type": "string"},
        "goto": _target,
        "set": _assign,
        "say": _texts,
    },
    "required": ["label"],
    "additionalProperties": False,
}
_timeouts = {
    "type": "object",
    "properties": {
        "no_input_s": {"type": "number", "exclusiveMinimum": 0},
        "end_silence_s": {"type": "number", "exclusiveMinimum": 0},
        "max_s": {"type": "number", "exclusiveMinimum": 0},
        "complete_silence_s": {"type": "number", "exclusiveMinimum": 0},
    },
    "additionalProperties": False,
}
_default_timeouts = {**_timeouts, "required": ["no_input_s", "end_silence_s", "max_s"]}
"""common.yaml's turn timing per listen mode (required there: the one home of these numbers)."""
_form_field = {
    "type": "object",
    "properties": {
        "kind": {"enum": ["text", "date", "time"]},
        "prompt": _text,
        "optional": {"type": "boolean"},
        "stuck": _text,
        "spoken": _text,
    },
    "required": ["kind", "prompt"],
    "additionalProperties": False,
}

NODE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "say": _texts,
        "brief": _texts,
        "once": _text,
        "help": _text,
        "noinput": {"type": "array", "items": _text},
        "nomatch": {"type": "array", "items": _text},
        "tries": {"type": "integer", "minimum": 0, "maximum": 10},
        "set": _assign,
        "add": {"type": "object", "additionalProperties": {"type": "number"}},
        "swap": {"type": "boolean"},
        "commit": {"type": "boolean"},
        "next": _target,
        "skip": _target,
        "who": {"enum": ["partner", "other", "both"]},
        "timeouts": _timeouts,
        "choice": {"type": "array", "items": _choice_item, "minItems": 1},
        "capture": {
            "type": "object",
            "properties": {"slot": _text, "stuck": _text, "deck": _text, "keep": {"type": "boolean"}},
            "required": ["slot"],
            "additionalProperties": False,
        },
        "lexicon": {
            "type": "object",
            "properties": {
                "name": _text,
                "slot": _text,
                "coach": _text,
                "accept": _text,
            },
            "required": ["name", "slot"],
            "additionalProperties": False,
        },
        "form": {
            "type": "object",
            "properties": {
                "fields": {"type": "object", "additionalProperties": _form_field, "minProperties": 1},
                "confirm": _text,
                "ask_change": _text,
                "ideas": {"type": "array", "items": _text},
            },
            "required": ["fields", "confirm"],
            "additionalProperties": False,
        },
        "overlap": {
            "type": "object",
            "properties": {"source": _text, "target": _text, "slot": _text},
            "required": ["source", "target", "slot"],
            "additionalProperties": False,
        },
        "branch": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {"if": _condition, "goto": _target, "say": _texts},
                "required": ["goto"],
                "additionalProperties": False,
            },
        },
        "menu": {
            "type": "object",
            "properties": {"extra": {"type": "array", "items": _choice_item}, "surprise": {"type": "array", "items": _text}},
            "additionalProperties": False,
        },
        "call": {"type": "object", "properties": {"dialog": _text}, "required": ["dialog"], "additionalProperties": False},
        "pause": {
            "type": "object",
            "properties": {"seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 600}, "close": _text},
            "required": ["seconds"],
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}

DIALOG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9-]*$"},
        "kind": {"enum": ["checkin", "exercise"]},
        "title": _text,
        "names": {"type": "array", "items": _text},
        "description": {"type": "string"},
        "start": _target,
        "rounds": {"enum": ["once", "each_partner"]},
        "menu": {"type": "boolean"},
        "record": {"type": "object", "properties": {"exercise": _text}, "required": ["exercise"]},
        "summary": _text,
        "nodes": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": r"^[A-Za-z0-9_.-]+$"},
            "additionalProperties": NODE_SCHEMA,
        },
    },
    "required": ["id", "kind", "title", "start", "nodes"],
    "additionalProperties": False,
}

LEXICON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": _text,
        "description": {"type": "string"},
        "families": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "array", "items": _text, "minItems": 1},
        },
        "vague": {"type": "object", "additionalProperties": {"type": "array", "items": _text, "minItems": 1}},
    },
    "required": ["id", "families"],
    "additionalProperties": False,
}

DECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": _text,
        "description": {"type": "string"},
        "items": {"type": "array", "items": _text, "minItems": 1},
    },
    "required": ["id", "items"],
    "additionalProperties": False,
}

COMMANDS = ("repeat", "slower", "skip", "back", "pause", "resume", "help", "stop", "pass")

COMMON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "commands": {
            "type": "object",
            "properties": {c: {"type": "array", "items": _text, "minItems": 1} for c in COMMANDS},
            "required": [c for c in COMMANDS if c != "pass"],
            "additionalProperties": False,
        },
        "phrases": {"type": "object", "additionalProperties": {"type": "array", "items": _text, "minItems": 1}},
        "messages": {"type": "object", "additionalProperties": _text},
        "defaults": {
            "type": "object",
            "properties": {
                "tries": {"type": "integer", "minimum": 0, "maximum": 10},
                "choice": {"type": "object", "properties": {"noinput": {"type": "array", "items": _text}, "nomatch": {"type": "array", "items": _text}}},
                "capture": {"type": "object", "properties": {"noinput": {"type": "array", "items": _text}, "nomatch": {"type": "array", "items": _text}}},
                "timeouts": {
                    "type": "object",
                    "properties": {"choice": _default_timeouts, "capture": _default_timeouts},
                    "required": ["choice", "capture"],
                    "additionalProperties": False,
                },
            },
            "required": ["timeouts"],
            "additionalProperties": False,
        },
    },
    "required": ["commands", "messages", "defaults"],
    "additionalProperties": False,
}

REQUIRED_MESSAGES = ("give_up", "stop", "paused", "resumed", "help", "nothing_to_skip", "skipped", "at_start", "pass")


# --------------------------------------------------------------------------- YAML layer


class _Located:
    """Finds the line of a value in a composed YAML document by its path."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def line(self, path: Iterable[Any]) -> int | None:
        node = self.root
        best = node.start_mark.line + 1 if node is not None else None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                nxt = None
                for key, value in node.value:
                    if key.value == str(part):
                        nxt = value
                        best = key.start_mark.line + 1
                        break
                node = nxt
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                best = node.start_mark.line + 1
            else:
                break
            if node is None:
                break
        return best


def _duplicate_keys(node: yaml.Node | None, path: str = "") -> tuple[int, str] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            where = f"{path}.{name}" if path else name
            if name in seen:
                return key.start_mark.line + 1, where
            seen.add(name)
            found = _duplicate_keys(value, where)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found = _duplicate_keys(item, f"{path}[{i}]")
            if found:
                return found
    return None


def parse_yaml(text: str, source: str) -> tuple[Any, _Located]:
    """Parse YAML safely; return the data and a locator for error lines."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DialogError(source, line, "", f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise DialogError(source, None, "", f"not valid YAML: {exc}") from None
    dup = _duplicate_keys(root)
    if dup:
        raise DialogError(source, dup[0], dup[1], "key appears twice")
    return data, _Located(root)


def _path_text(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_schema(data: Any, schema: Mapping[str, Any], source: str, where: _Located) -> None:
    """Validate against a JSON Schema; raise the most relevant error as a DialogError."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(list(e.absolute_path)), str(e.message)))
    if not errors:
        return
    typos = [e for e in errors if e.validator == "additionalProperties"]
    # A misspelt key also makes the real one "missing": the typo is the error worth showing.
    best = max(typos, key=lambda e: len(list(e.absolute_path))) if typos else jsonschema.exceptions.best_match(errors)
    path = list(best.absolute_path)
    message = best.message
    if best.validator == "additionalProperties":
        extras = [k for k in (best.instance or {}) if k not in (best.schema.get("properties") or {})]
        if extras:
            path = path + [extras[0]]
            names = sorted(best.schema.get("properties") or {})
            close = process.extractOne(str(extras[0]), names, scorer=fuzz.ratio, score_cutoff=70)
            message = f"unknown field (did you mean '{close[0]}'?)" if close else f"unknown field (expected one of: {', '.join(names)})"
    elif best.validator == "required":
        message = best.message.replace("is a required property", "is missing")
    elif best.validator == "oneOf":
        message = "must be a text or a list of texts"
    if isinstance(best.instance, bool) and best.validator in ("type", "minLength", "oneOf"):
        message += ' (YAML reads bare yes/no/on/off as true/false: put them in quotes, like "yes")'

    if len(message) > 160:
        message = message[:157] + "..."
    raise DialogError(source, where.line(path), _path_text(path), message)


# --------------------------------------------------------------------------- dict layer


def _template_fields(text: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ValueError(f"bad template {text!r}: {exc}") from None


def _check_templates(value: Any, path: list[Any], source: str, where: _Located) -> None:
    if isinstance(value, str):
        try:
            for name in _template_fields(value):
                if not name.isidentifier():
                    raise ValueError(f"bad placeholder {{{name}}} in {value!r}")
        except ValueError as exc:
            raise DialogError(source, where.line(path), _path_text(path), str(exc)) from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_templates(item, path + [key], source, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_templates(item, path + [i], source, where)


def node_from_dict(node_id: str, data: Mapping[str, Any], source: str, where: _Located) -> Node:
    kinds = [k for k in NODE_KINDS if k in data]
    if len(kinds) > 1:
        raise DialogError(source, where.line(["nodes", node_id]), f"nodes.{node_id}", f"has more than one capability: {', '.join(kinds)}")
    kind = kinds[0] if kinds else None
    if kind in (None, "overlap", "call", "pause", "capture", "lexicon", "form", "menu") and "next" not in data:
        raise DialogError(source, where.line(["nodes", node_id]), f"nodes.{node_id}.next", "is missing (where to go after this node)")
    if kind == "branch" and "if" in data["branch"][-1]:
        raise DialogError(source, where.line(["nodes", node_id, "branch"]), f"nodes.{node_id}.branch", "the last case needs no 'if' (it is the fallback)")
    if kind == "choice":
        for i, item in enumerate(data["choice"]):
            if "goto" not in item and "next" not in data:
                path = ["nodes", node_id, "choice", i]
                raise DialogError(source, where.line(path), _path_text(path) + ".goto", "is missing (and the node has no 'next')")
    return Node(id=node_id, kind=kind, spec=data)


def dialog_from_dict(data: Any, source: str, where: _Located | None = None) -> Dialog:
    """Build a :class:`Dialog` from parsed YAML, checking shape and local references."""
    where = where or _Located(None)
    check_schema(data, DIALOG_SCHEMA, source, where)
    _check_templates(data, [], source, where)
    nodes = {nid: node_from_dict(nid, spec, source, where) for nid, spec in data["nodes"].items()}
    targets = set(nodes) | {END}

    def need(target: str, path: list[Any]) -> None:
        if target not in targets:
            raise DialogError(source, where.line(path), _path_text(path), f"no node named '{target}'")

    need(data["start"], ["start"])
    for nid, node in nodes.items():
        base = ["nodes", nid]
        for key in ("next", "skip"):
            if key in node.spec:
                need(node.spec[key], base + [key])
        if node.kind == "choice":
            for i, item in enumerate(node.body):
                if "goto" in item:
                    need(item["goto"], base + ["choice", i, "goto"])
        if node.kind == "branch":
            for i, case in enumerate(node.body):
                need(case["goto"], base + ["branch", i, "goto"])
        if node.kind == "menu":
            for i, item in enumerate(node.body.get("extra", [])):
                if "goto" in item:
                    need(item["goto"], base + ["menu", "extra", i, "goto"])
    if data.get("kind") == "exercise" and "record" not in data:
        raise DialogError(source, where.line([]), "record", "is missing (an exercise says what it records)")
    return Dialog(
        id=data["id"],
        kind=data["kind"],
        title=data["title"],
        names=tuple(data.get("names") or [data["title"]]),
        start=data["start"],
        nodes=nodes,
        record=data.get("record"),
        summary=data.get("summary"),
        rounds=data.get("rounds"),
        menu=bool(data.get("menu", data["kind"] == "exercise")),
        source=source,
        spec=data,
        where=where,
    )


def lexicon_from_dict(data: Any, source: str, where: _Located | None = None) -> Lexicon:
    where = where or _Located(None)
    check_schema(data, LEXICON_SCHEMA, source, where)
    words: dict[str, str] = {}
    for family, items in data["families"].items():
        for i, word in enumerate(items):
            key = " ".join(word.lower().split())
            if key in words:
                path = ["families", family, i]
                raise DialogError(source, where.line(path), _path_text(path), f"'{word}' is already in family '{words[key]}'")
            words[key] = family
    vague: dict[str, tuple[str, ...]] = {}
    for word, options in (data.get("vague") or {}).items():
        for i, option in enumerate(options):
            if option.lower() not in words:
                path = ["vague", word, i]
                raise DialogError(source, where.line(path), _path_text(path), f"'{option}' is not a word of this lexicon")
        vague[" ".join(word.lower().split())] = tuple(o.lower() for o in options)
    return Lexicon(id=data["id"], words=words, vague=vague, source=source)


def common_from_dict(data: Any, source: str, where: _Located | None = None) -> Mapping[str, Any]:
    where = where or _Located(None)
    check_schema(data, COMMON_SCHEMA, source, where)
    _check_templates(data, [], source, where)
    for name in REQUIRED_MESSAGES:
        if name not in data["messages"]:
            raise DialogError(source, where.line(["messages"]), f"messages.{name}", "is missing")
    return data


def deck_from_dict(data: Any, source: str, where: _Located | None = None) -> tuple[str, tuple[str, ...]]:
    where = where or _Located(None)
    check_schema(data, DECK_SCHEMA, source, where)
    return data["id"], tuple(data["items"])


def from_yaml(text: str, source: str, kind: str = "dialog") -> Any:
    """Parse one file's text: ``kind`` is dialog, lexicon, deck or common."""
    data, where = parse_yaml(text, source)
    if data is None:
        raise DialogError(source, 1, "", "the file is empty")
    builders = {"dialog": dialog_from_dict, "lexicon": lexicon_from_dict, "common": common_from_dict, "deck": deck_from_dict}
    return builders[kind](data, source, where)


def read_source(path: str | Path, what: str = "file", error: type[DialogError] = DialogError) -> str:
    """A YAML source file's text, or one clear line naming it."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(str(p), None, "", f"{what} not found") from None
    except UnicodeDecodeError:
        raise error(str(p), None, "", "not UTF-8 text") from None
    except OSError as exc:
        raise error(str(p), None, "", f"cannot read: {exc.strerror}") from None


def load_file(path: str | Path, kind: str = "dialog") -> Any:
    return from_yaml(read_source(path), str(path), kind)


def load_dir(path: str | Path) -> DialogSet:
    """Load and cross-check a whole dialog directory."""
    root = Path(path)
    if not root.is_dir():
        raise DialogError(str(root), None, "", "not a directory of dialogs")
    common = load_file(root / "common.yaml", "common")
    lexicons: dict[str, Lexicon] = {}
    for file in sorted((root / "lexicons").glob("*.yaml")):
        lex = load_file(file, "lexicon")
        lexicons[lex.id] = lex
    decks: dict[str, tuple[str, ...]] = {}
    for file in sorted((root / "decks").glob("*.yaml")):
        deck_id, items = load_file(file, "deck")
        decks[deck_id] = items
    dialogs: dict[str, Dialog] = {}
    for file in sorted(root.glob("*.yaml")):
        if file.name == "common.yaml":
            continue
        dialog = load_file(file)
        if dialog.id in dialogs:
            raise DialogError(str(file), 1, "id", f"'{dialog.id}' is also the id of {dialogs[dialog.id].source}")
        dialogs[dialog.id] = dialog
    if not dialogs:
        raise DialogError(str(root), None, "", "no dialog files (*.yaml) found")
    dset = DialogSet(dialogs=dialogs, lexicons=lexicons, common=common, decks=decks)
    check_references(dset)
    return dset


def validate_dir(path: str | Path) -> list[DialogError]:
    """Every problem in a dialog directory, one per broken file (for ``checkin validate``)."""
    root = Path(path)
    if not root.is_dir():
        return [DialogError(str(root), None, "", "not a directory of dialogs")]
    errors: list[DialogError] = []
    files = [(root / "common.yaml", "common")]
    files += [(f, "lexicon") for f in sorted((root / "lexicons").glob("*.yaml"))]
    files += [(f, "deck") for f in sorted((root / "decks").glob("*.yaml"))]
    files += [(f, "dialog") for f in sorted(root.glob("*.yaml")) if f.name != "common.yaml"]
    for file, kind in files:
        try:
            load_file(file, kind)
        except DialogError as exc:
            errors.append(exc)
    if not errors:
        try:
            load_dir(root)
        except DialogError as exc:
            errors.append(exc)
    return errors


def check_references(dset: DialogSet) -> None:
    """Checks across files: lexicons, decks, called dialogs and 'like' phrase sets exist."""
    phrase_sets = set((dset.common.get("phrases") or {}).keys())
    for dialog in dset.dialogs.values():
        where = dialog.where or _Located(None)
        for nid, node in dialog.nodes.items():
            base = ["nodes", nid]
            if node.kind == "lexicon" and node.body["name"] not in dset.lexicons:
                path = base + ["lexicon", "name"]
                raise DialogError(dialog.source, where.line(path), _path_text(path), f"unknown lexicon '{node.body['name']}'")
            if node.kind == "capture" and node.body.get("deck") and node.body["deck"] not in dset.decks:
                path = base + ["capture", "deck"]
                raise DialogError(dialog.source, where.line(path), _path_text(path), f"unknown deck '{node.body['deck']}'")
            if node.kind == "call" and node.body["dialog"] not in dset.dialogs:
                path = base + ["call", "dialog"]
                raise DialogError(dialog.source, where.line(path), _path_text(path), f"unknown dialog '{node.body['dialog']}'")
            items = node.body if node.kind == "choice" else (node.body.get("extra", []) if node.kind == "menu" else [])
            for i, item in enumerate(items):
                if "like" in item and item["like"] not in phrase_sets:
                    path = base + ([node.kind] if node.kind == "choice" else ["menu", "extra"]) + [i, "like"]
                    raise DialogError(dialog.source, where.line(path), _path_text(path), f"no phrase set '{item['like']}' in common.yaml")
