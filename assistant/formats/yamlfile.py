"""YAML files read with their line numbers: parse within :mod:`.safeyaml`'s limits, locate a
field's line, check a JSON Schema, and say what is wrong in one line (:class:`DialogError`,
``file:line: field: message``).  Used for dialogs, config.yaml and scenario files alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from rapidfuzz import fuzz, process

from . import safeyaml
from .errors import InvalidInput


class DialogError(InvalidInput):
    """A dialog, lexicon or common file is invalid.  ``str()`` is one line."""

    def __init__(self, source: str, line: int | None, field_path: str, message: str):
        field_path, message = one_line_field(field_path), one_line_field(message)
        self.source = source
        self.line = line
        self.field = field_path
        self.message = message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {field_path + ': ' if field_path else ''}{message}")


def one_line_field(text: str) -> str:
    return str(text).replace("\r", "\\r").replace("\n", "\\n")


class Located:
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


def parse_yaml(text: str, source: str) -> tuple[Any, Located]:
    """Parse YAML safely and within :mod:`assistant.formats.safeyaml`'s limits; return the data and
    a locator for error lines."""
    try:
        data, root = safeyaml.compose(text, source)
    except safeyaml.YamlError as exc:
        raise DialogError(source, exc.line, "", exc.message) from None
    dup = _duplicate_keys(root)
    if dup:
        raise DialogError(source, dup[0], dup[1], "key appears twice")
    return data, Located(root)


def path_text(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def check_schema(data: Any, schema: Mapping[str, Any], source: str, where: Located) -> None:
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
            message = (
                f"unknown field (did you mean '{close[0]}'?)"
                if close
                else f"unknown field (expected one of: {', '.join(names)})"
            )
    elif best.validator == "required":
        message = best.message.replace("is a required property", "is missing")
    elif best.validator == "oneOf":
        message = "must be a text or a list of texts"
    elif best.validator == "pattern" and "errorMessage" in best.schema and isinstance(best.instance, str):
        message = best.schema["errorMessage"].format(words=len(best.instance.split()))
    if isinstance(best.instance, bool) and best.validator in ("type", "minLength", "oneOf"):
        message += ' (YAML reads bare yes/no/on/off as true/false: put them in quotes, like "yes")'

    if len(message) > 160:
        message = message[:157] + "..."
    raise DialogError(source, where.line(path), path_text(path), message)


def read_source(path: str | Path, what: str = "file", error: type[DialogError] = DialogError) -> str:
    """A YAML source file's text, or one clear line naming it."""
    p = Path(path)
    try:
        return safeyaml.read_text(p)
    except safeyaml.YamlError as exc:
        raise error(exc.source, exc.line, "", exc.message) from None
    except FileNotFoundError:
        raise error(str(p), None, "", f"{what} not found") from None
    except IsADirectoryError:
        raise error(str(p), None, "", f"{what} is a folder, not a file") from None
    except OSError as exc:
        raise error(str(p), None, "", f"cannot read: {exc.strerror}") from None
