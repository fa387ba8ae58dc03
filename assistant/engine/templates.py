"""Every template of a dialog directory checked when it loads: each variable must be one
the template can have, and one that may be empty when spoken needs a fallback
(``{topic|that}``) unless leaving it out reads well ("on Saturday{time_at}.").

Where a variable comes from, and whether it may be empty, is declared by its source: the
engine's built-ins (:data:`.render.BUILTINS`), memory (:func:`assistant.engine.memory.variables`),
and each node type (``slots`` and ``template_vars`` of :class:`.nodes.NodeType`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from .nodes import handler_for
from .render import BUILTINS, PROMPT_VARS, WORDS_SPEC, Vars, fields, format_template

if TYPE_CHECKING:
    from ..formats.yamlfile import DialogError
    from .model import Dialog, DialogSet

GAP = re.compile(r"^[\s.,?!;:]|\s[.,?!;:]|[,:;][.?!,]|\"\"|''|\s\s|\s$|^$")
"""What an empty variable leaves behind: "say .", ", what", "to: ?", '""', "planned  for"."""
SAMPLE = "word"
SPOKEN_KEYS = ("say", "brief", "help", "noinput", "nomatch")
RECORD_KEYS = ("summary", "summary_unconfirmed", "history")
"""Dialog fields rendered over the dialog's record entry, not over the session's variables."""


def dialog_vars(dialog: Dialog, program: DialogSet, remembered: Mapping[str, bool]) -> dict[str, bool]:
    """Variables a dialog's templates may use -> whether each may be empty when spoken."""
    out: dict[str, bool] = {**BUILTINS, **PROMPT_VARS, **remembered}

    def add(name: str, empty: bool) -> None:
        out[name] = out.get(name, False) or empty

    for node in dialog.nodes.values():
        node_type = handler_for(node.kind)
        for source in (node_type.slots(node), node_type.template_vars(node)):
            for name, empty in source.items():
                add(name, empty)
        for name, value in (node.get("set") or {}).items():
            add(name, value is None or value == "")
        for name in node.get("add") or {}:
            add(name, False)
    return out


def bad_specs(template: str) -> list[str]:
    """Format specs of ``template`` other than a word limit (``{topic:w8}``)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return []
    return [spec for _, name, spec, _ in parsed if name is not None and spec and not WORDS_SPEC.fullmatch(spec)]


def gaps(template: str, variables: Mapping[str, bool]) -> list[str]:
    """The variables of ``template`` that leave a gap when empty (and have no fallback)."""
    names = list(dict.fromkeys(name for name, fallback in fields(template) if fallback is None))
    empty = [n for n in names if variables.get(n, False)]
    out = []
    for name in empty:
        values = {n: ("" if n == name else SAMPLE) for n in names}
        if GAP.search(format_template(template, Vars(values))):
            out.append(name)
    return out


def spoken(dialog: Dialog) -> Iterator[tuple[list[Any], str]]:
    """Every spoken template of a dialog with its path."""
    for nid, node in dialog.nodes.items():
        for key in SPOKEN_KEYS:
            value = node.get(key)
            for i, text in enumerate([value] if isinstance(value, str) else list(value or [])):
                yield ["nodes", nid, key] + ([i] if isinstance(value, list) else []), text
        if node.kind:
            for path, text in handler_for(node.kind).templates(node.body):
                yield ["nodes", nid, node.kind, *path], text


def strings(value: Any, path: list[Any]) -> Iterator[tuple[list[Any], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings(item, path + [key])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, path + [i])


def _unknown(name: str, known: Mapping[str, bool]) -> str:
    close = process.extractOne(name, sorted(known), scorer=fuzz.ratio, score_cutoff=75)
    return f"unknown variable {{{name}}}" + (f" (did you mean '{close[0]}'?)" if close else "")


def dialog_problems(
    dialog: Dialog, program: DialogSet, remembered: Mapping[str, bool]
) -> Iterator[tuple[list[Any], str]]:
    known = dialog_vars(dialog, program, remembered)
    entry = dict.fromkeys([*(dialog.record or {}), "exercise", "complete"], False)
    for path, text in strings(dict(dialog.spec), []):
        if path[:1] and path[0] in RECORD_KEYS:
            for name in [n for n, _ in fields(text) if n not in entry]:
                yield (
                    path,
                    f"unknown variable {{{name}}} (a {path[0]} reads the record's fields: {', '.join(dialog.record or {})})",
                )
            continue
        for name in [n for n, _ in fields(text) if n not in known]:
            yield path, _unknown(name, known)
        for spec in bad_specs(text):
            yield path, f"unknown format '{spec}' (only a word limit, like {{topic:w8}})"
    for path, text in spoken(dialog):
        for name in gaps(text, known):
            yield path, f"{{{name}}} may be empty when this is said: give it a fallback, like {{{name}|...}}"


def common_vars(program: DialogSet) -> dict[str, bool]:
    out: dict[str, bool] = {**BUILTINS, **PROMPT_VARS}
    for dialog in program.dialogs.values():
        for node in dialog.nodes.values():
            out.update(handler_for(node.kind).template_vars(node))
    return out


def problems(program: DialogSet) -> Iterator[DialogError]:
    """Every template problem of a loaded directory, as one-line errors."""
    from ..formats.yamlfile import DialogError
    from ..formats.yamlfile import Located as Located
    from ..formats.yamlfile import path_text as path_text
    from . import memory

    remembered = memory.variables(program)
    for dialog in program.dialogs.values():
        where = dialog.where or Located(None)
        for path, message in dialog_problems(dialog, program, remembered):
            yield DialogError(dialog.source, where.line(path), path_text(path), message)
    known = common_vars(program)
    where = program.common_where or Located(None)
    for path, text in strings({k: program.common[k] for k in ("messages", "defaults") if k in program.common}, []):
        for name, _ in fields(text):
            if name not in known:
                yield DialogError(program.common_source, where.line(path), path_text(path), _unknown(name, known))


__all__ = ["GAP", "dialog_problems", "dialog_vars", "gaps", "problems", "spoken"]
