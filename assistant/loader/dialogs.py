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

import dataclasses
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..engine import memory, templates
from ..engine.model import END, Dialog, DialogSet, Lexicon, Node
from ..engine.nodes import REGISTRY
from ..formats import safeyaml
from ..formats.yamlfile import DialogError, Located, check_schema, parse_yaml, path_text, read_source
from ..text.meaning import Tables, tables_from_data
from ..text.meaning.conflict import SCHEMA as CONFLICT_SCHEMA
from ..text.meaning.conflict import rules_from_data
from ..text.meaning.tables import TABLE_NAMES


def free_text_fields(dialogs: Mapping[str, Dialog]) -> frozenset[str]:
    """``exercise:field`` for every record field that holds a free-form sentence (a captured
    answer without ``keep: true``, or a slot a node's ``set:`` builds from one)."""
    out: set[str] = set()
    for dialog in dialogs.values():
        captured = {s for n in dialog.nodes.values() if n.kind for s in REGISTRY[n.kind].free_text_slots(n.body)}
        captured |= _derived_free_text(dialog, captured)
        exercise = (dialog.record or {}).get("exercise", dialog.id)
        for key, spec in (dialog.record or {}).items():
            if isinstance(spec, str) and spec.startswith("$") and spec[1:] in captured:
                out.add(f"{exercise}:{key}")
    return frozenset(out)


def _derived_free_text(dialog: Dialog, captured: set[str]) -> set[str]:
    """Slots a node's ``set:`` builds from a free-text slot ("{statement} {clarification}") are free text too."""
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in dialog.nodes.values():
            for slot, value in (node.get("set") or {}).items():
                if slot in out or not isinstance(value, str):
                    continue
                names = {f.partition("|")[0] for _, f, _, _ in string.Formatter().parse(value) if f}
                if names & (captured | out):
                    out.add(slot)
                    changed = True
    return out


# --------------------------------------------------------------------------- schemas


_text = {"type": "string", "minLength": 1}
_texts = {"oneOf": [_text, {"type": "array", "items": _text, "minItems": 1}]}
_target = {"type": "string", "pattern": r"^[A-Za-z0-9_.-]+$"}
WHY_WORDS = 15
_why = {
    "type": "string",
    "pattern": rf"^\s*\S+(?:\s+\S+){{0,{WHY_WORDS - 1}}}\s*$",
    "errorMessage": f"{{words}} words: what an exercise is for is said in at most {WHY_WORDS}",
}
"""A dialog's ``why:``: what the exercise is for, in at most :data:`WHY_WORDS` words (said
when someone asks, and once per exercise by the coaching)."""
COACH_TOPICS = ("recording", "privacy", "therapist", "sides", "purpose")
"""Questions to the coach that common.yaml's ``coach:`` answers (``purpose`` falls back to
it where a dialog has no ``why:``)."""
_assign = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
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

NODE_FIELDS: dict[str, Any] = {
    "say": _texts,
    "brief": _texts,
    "once": _text,
    "help": _text,
    "noinput": {"type": "array", "items": _text},
    "nomatch": {"type": "array", "items": _text},
    "tries": {"type": "integer", "minimum": 0, "maximum": 10},
    "set": _assign,
    "note": _assign,
    "add": {"type": "object", "additionalProperties": {"type": "number"}},
    "swap": {"type": "boolean"},
    "commit": {"type": "boolean"},
    "next": _target,
    "skip": _target,
    "who": {"enum": ["partner", "other", "both"]},
    "floor": _text,
    "timeouts": _timeouts,
}
"""What every node may have; each node type adds its own key (:func:`node_schema`)."""


def node_schema() -> dict[str, Any]:
    """The JSON Schema of one node: the common fields plus one key per node type."""
    types = REGISTRY
    properties = {**NODE_FIELDS, **{name: dict(t.schema) for name, t in types.items()}}
    for t in types.values():
        properties.update({key: dict(schema) for key, schema in t.node_fields.items()})
    return {"type": "object", "properties": properties, "additionalProperties": False}


def dialog_schema() -> dict[str, Any]:
    """The JSON Schema of a dialog file, with each node type's part and memory's."""
    properties = dict(DIALOG_SCHEMA["properties"])
    properties["nodes"] = {**properties["nodes"], "additionalProperties": node_schema()}
    properties["remember"] = memory.SCHEMA
    return {**DIALOG_SCHEMA, "properties": properties}


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
        "invitation": {"type": "boolean"},
        "touch": {"type": "boolean"},
        "why": _why,
        "record": {"type": "object", "properties": {"exercise": _text}, "required": ["exercise"]},
        "summary": _text,
        "summary_unconfirmed": _text,
        "history": _text,
        "remember": {"type": "object"},
        "nodes": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": r"^[A-Za-z0-9_.-]+$"},
            "additionalProperties": {},
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

COMMANDS = ("repeat", "slower", "skip", "back", "pause", "resume", "help", "stop", "pass", "time_out")

COMMON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "commands": {
            "type": "object",
            "properties": {c: {"type": "array", "items": _text, "minItems": 1} for c in COMMANDS},
            "required": [c for c in COMMANDS if c not in ("pass", "time_out")],
            "additionalProperties": False,
        },
        "phrases": {"type": "object", "additionalProperties": {"type": "array", "items": _text, "minItems": 1}},
        "messages": {"type": "object", "additionalProperties": _text},
        "coach": {
            "type": "object",
            "properties": {topic: _text for topic in COACH_TOPICS},
            "required": list(COACH_TOPICS),
            "additionalProperties": False,
        },
        "defaults": {
            "type": "object",
            "properties": {
                "tries": {"type": "integer", "minimum": 0, "maximum": 10},
                "choice": {
                    "type": "object",
                    "properties": {
                        "noinput": {"type": "array", "items": _text},
                        "nomatch": {"type": "array", "items": _text},
                    },
                },
                "capture": {
                    "type": "object",
                    "properties": {
                        "noinput": {"type": "array", "items": _text},
                        "nomatch": {"type": "array", "items": _text},
                    },
                },
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

REQUIRED_MESSAGES = (
    # global commands (engine/commands.py)
    "stop",
    "paused",
    "resumed",
    "help",
    "guide",
    "guide_options",
    "help_move_on",
    "at_start",
    "nothing_to_skip",
    "skipped",
    "pass",
    # how an exercise ends early (engine/endings.py, nodes/consent.py, nodes/capture.py)
    "give_up",
    "exercise_ended",
    "withdrawn",
    "withdrawn_touch",
    "declined",
    "hedge_again",
    "content_again",
    "contempt_again",
    "content_move_on",
    "content_leave",
    "nothing",
    # nodes (menu "surprise us", form read-backs) and the closing summary (engine/render.py)
    "surprise",
    "not_confirmed",
    "keep_as_is",
    "summary_none",
    # privacy (engine/privacy.py): "don't keep that", "forget tonight"
    "not_kept",
    "not_kept_again",
    "forgotten",
    "forgotten_offer",
    "forgotten_stop",
    "forgotten_go_on",
    # conflict moments (engine/conflict.py)
    "conflict_break",
    "gentle_start",
    "repair",
    "repair_again",
    # the safety pause (engine/safety.py)
    "safety",
    "safety_offer",
    "safety_stop",
    "safety_go_on",
    "not_tonight",
    # grief and loss (engine/grief.py)
    "grief",
    "grief_ask",
    "grief_go_on",
    # a second room while a check-in runs (house.py)
    "busy_elsewhere",
    # who spoke, when the voices are enrolled (engine/voices.py)
    "not_your_yes",
    "whose_yes",
)
"""Every ``dialogs/common.yaml`` message the Python speaks: each must be there when the
dialogs load (``checkin validate``, ``checkin doctor``), so a missing one is a one-line error,
never silence or a KeyError mid-session.  ``tests/test_dialogs.py`` checks the code uses no other."""


# --------------------------------------------------------------------------- dict layer


def _template_fields(text: str) -> list[str]:
    try:
        return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ValueError(f"bad template {text!r}: {exc}") from None


def _check_templates(value: Any, path: list[Any], source: str, where: Located) -> None:
    if isinstance(value, str):
        try:
            for name in _template_fields(value):
                if not name.partition("|")[0].isidentifier():
                    raise ValueError(f"bad placeholder {{{name}}} in {value!r}")
        except ValueError as exc:
            raise DialogError(source, where.line(path), path_text(path), str(exc)) from None
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_templates(item, path + [key], source, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_templates(item, path + [i], source, where)


def _error_at(source: str, where: Located, base: list[Any]) -> Any:
    """A reporter for a node type's checks: raises a DialogError at ``base`` + a sub-path."""

    def error(path: list[Any], message: str) -> None:
        full = base + path
        raise DialogError(source, where.line(full), path_text(full), message)

    return error


def node_from_dict(node_id: str, data: Mapping[str, Any], source: str, where: Located) -> Node:
    types = REGISTRY
    kinds = [k for k in types if k in data]
    if len(kinds) > 1:
        raise DialogError(
            source,
            where.line(["nodes", node_id]),
            f"nodes.{node_id}",
            f"has more than one capability: {', '.join(kinds)}",
        )
    kind = kinds[0] if kinds else None
    node_type = types[kind] if kind else None
    for other, t in types.items():
        stray = [
            key
            for key in t.node_fields
            if key in data and other != kind and key not in (node_type.node_fields if node_type else {})
        ]
        if stray:
            raise DialogError(
                source,
                where.line(["nodes", node_id, stray[0]]),
                f"nodes.{node_id}.{stray[0]}",
                f"belongs to a '{other}' node",
            )
    if (node_type is None or node_type.needs_next) and "next" not in data:
        raise DialogError(
            source, where.line(["nodes", node_id]), f"nodes.{node_id}.next", "is missing (where to go after this node)"
        )
    if node_type is not None:
        node_type.check(node_id, data, _error_at(source, where, ["nodes", node_id, kind]))
    return Node(id=node_id, kind=kind, spec=data, listens=node_type.listens if node_type else False)


def dialog_from_dict(data: Any, source: str, where: Located | None = None) -> Dialog:
    """Build a :class:`Dialog` from parsed YAML, checking shape and local references."""
    where = where or Located(None)
    check_schema(data, dialog_schema(), source, where)
    _check_templates(data, [], source, where)
    nodes = {nid: node_from_dict(nid, spec, source, where) for nid, spec in data["nodes"].items()}
    targets = set(nodes) | {END}

    def need(target: str, path: list[Any]) -> None:
        if target not in targets:
            raise DialogError(source, where.line(path), path_text(path), f"no node named '{target}'")

    need(data["start"], ["start"])
    for nid, node in nodes.items():
        base = ["nodes", nid]
        for key in ("next", "skip"):
            if key in node.spec:
                need(node.spec[key], base + [key])
        if node.kind:
            for path, target in REGISTRY[node.kind].targets(node.body):
                need(target, base + [node.kind] + path)
    if data.get("kind") == "exercise" and "record" not in data:
        raise DialogError(source, where.line([]), "record", "is missing (an exercise says what it records)")
    for path, message in memory.check(data.get("record"), data.get("remember") or {}):
        raise DialogError(source, where.line(["remember", *path]), path_text(["remember", *path]), message)
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


def lexicon_from_dict(data: Any, source: str, where: Located | None = None) -> Lexicon:
    where = where or Located(None)
    check_schema(data, LEXICON_SCHEMA, source, where)
    words: dict[str, str] = {}
    for family, items in data["families"].items():
        for i, word in enumerate(items):
            key = " ".join(word.lower().split())
            if key in words:
                path = ["families", family, i]
                raise DialogError(
                    source, where.line(path), path_text(path), f"'{word}' is already in family '{words[key]}'"
                )
            words[key] = family
    vague: dict[str, tuple[str, ...]] = {}
    for word, options in (data.get("vague") or {}).items():
        for i, option in enumerate(options):
            if option.lower() not in words:
                path = ["vague", word, i]
                raise DialogError(
                    source, where.line(path), path_text(path), f"'{option}' is not a word of this lexicon"
                )
        vague[" ".join(word.lower().split())] = tuple(o.lower() for o in options)
    return Lexicon(id=data["id"], words=words, vague=vague, source=source)


def common_from_dict(data: Any, source: str, where: Located | None = None) -> Mapping[str, Any]:
    where = where or Located(None)
    check_schema(data, COMMON_SCHEMA, source, where)
    _check_templates(data, [], source, where)
    for name in REQUIRED_MESSAGES:
        if name not in data["messages"]:
            raise DialogError(source, where.line(["messages"]), f"messages.{name}", "is missing")
    return data


def deck_from_dict(data: Any, source: str, where: Located | None = None) -> tuple[str, tuple[str, ...]]:
    where = where or Located(None)
    check_schema(data, DECK_SCHEMA, source, where)
    return data["id"], tuple(data["items"])


def from_yaml(text: str, source: str, kind: str = "dialog") -> Any:
    """Parse one file's text: ``kind`` is dialog, lexicon, deck or common."""
    data, where = parse_yaml(text, source)
    if data is None:
        raise DialogError(source, 1, "", "the file is empty")
    builders = {
        "dialog": dialog_from_dict,
        "lexicon": lexicon_from_dict,
        "common": common_from_dict,
        "deck": deck_from_dict,
    }
    return builders[kind](data, source, where)


def load_file(path: str | Path, kind: str = "dialog") -> Any:
    return from_yaml(read_source(path), str(path), kind)


def load_tables(
    dialogs_dir: str | Path,
    feelings: str = "feelings",
    *,
    common: Mapping[str, Any] | None = None,
    lexicon: Any = None,
    reader: Any = None,
) -> Tables:
    """Read dialogs/meaning/*.yaml, the commands in dialogs/common.yaml and the feelings
    lexicon (``common`` and ``lexicon``: already loaded, as ``dialogs.load_dir`` has them).
    ``reader``: the reader by meaning, loaded by the caller (:func:`assistant.text.meaning.reader.load`)."""
    root = Path(dialogs_dir)
    parsed: dict[str, Any] = {}
    where: dict[str, tuple[str, Located | None]] = {}
    names = [*TABLE_NAMES, *(["understanding"] if (root / "meaning" / "understanding.yaml").exists() else [])]
    for name in names:
        path = root / "meaning" / f"{name}.yaml"
        data, located = parse_yaml(read_source(path, "meaning table"), str(path))
        parsed[name], where[name] = data, (str(path), located)
    if common is None:
        common = load_file(root / "common.yaml", "common")
    lex_path = root / "lexicons" / f"{feelings}.yaml"
    if lexicon is None and lex_path.exists():
        lexicon = load_file(lex_path, "lexicon")
    tables = tables_from_data(
        parsed["acts"],
        parsed["scales"],
        parsed["safety"],
        parsed["times"],
        common,
        lexicon,
        where,
        understanding=parsed.get("understanding"),
        reader=reader,
    )
    conflict_path = root / "meaning" / "conflict.yaml"  # issue 22's conflict moments (optional)
    if not conflict_path.exists():
        return tables
    data, located = parse_yaml(read_source(conflict_path, "meaning table"), str(conflict_path))
    if data is None:
        raise DialogError(str(conflict_path), 1, "", "the file is empty")
    check_schema(data, CONFLICT_SCHEMA, str(conflict_path), located or Located(None))
    return dataclasses.replace(tables, conflict=rules_from_data(data))


def _check_folder(root: Path) -> None:
    files = [*sorted(root.glob("*.yaml")), *sorted(root.glob("*/*.yaml"))]
    try:
        safeyaml.check_folder(files, str(root))
    except safeyaml.YamlError as exc:
        raise DialogError(exc.source, exc.line, "", exc.message) from None


def load_dir(path: str | Path) -> DialogSet:
    """Load and cross-check a whole dialog directory."""
    root = Path(path)
    if not root.is_dir():
        raise DialogError(str(root), None, "", "not a directory of dialogs")
    _check_folder(root)
    common_path = str(root / "common.yaml")
    common_data, common_where = parse_yaml(read_source(common_path), common_path)
    if common_data is None:
        raise DialogError(common_path, 1, "", "the file is empty")
    common = common_from_dict(common_data, common_path, common_where)
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
    tables = None
    if (root / "meaning").is_dir():
        tables = load_tables(root, common=common, lexicon=lexicons.get("feelings"))
    dset = DialogSet(
        dialogs=dialogs,
        lexicons=lexicons,
        common=common,
        decks=decks,
        common_source=common_path,
        common_where=common_where,
        free_text=free_text_fields(dialogs),
        meaning=tables,
    )
    check_references(dset)
    return dset


def validate_dir(path: str | Path) -> list[DialogError]:
    """Every problem in a dialog directory, one per broken file (for ``checkin validate``)."""
    root = Path(path)
    if not root.is_dir():
        return [DialogError(str(root), None, "", "not a directory of dialogs")]
    try:
        _check_folder(root)
    except DialogError as exc:
        return [exc]
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
    return errors  # load_dir checked the meaning tables too


def check_references(dset: DialogSet) -> None:
    """Checks across files: each node type's references (lexicons, decks, called dialogs,
    phrase sets) and every template's variables (:mod:`assistant.engine.templates`)."""
    types = REGISTRY
    for dialog in dset.dialogs.values():
        where = dialog.where or Located(None)
        for nid, node in dialog.nodes.items():
            if node.kind:
                types[node.kind].check_refs(node.body, dset, _error_at(dialog.source, where, ["nodes", nid, node.kind]))
                types[node.kind].check_node_refs(node, dset, _error_at(dialog.source, where, ["nodes", nid, node.kind]))
    for problem in templates.problems(dset):
        raise problem
