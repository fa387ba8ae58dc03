"""The node types, by the YAML key that selects them.  A new node type is one module in
this package (a :class:`~.base.NodeType` subclass) and one line below."""

from __future__ import annotations

from .base import NodeType, Step
from .branch import Branch
from .call import Call
from .capture import Capture
from .choice import Choice
from .consent import Consent
from .form import Form
from .levels import Levels
from .lexicon import LexiconNode
from .menu import Menu
from .overlap import Overlap
from .pause import Pause
from .retelling import Retell
from .wordcount import WordCount

REGISTRY: dict[str, NodeType] = {
    handler.name: handler
    for handler in (
        Choice(),
        Capture(),
        LexiconNode(),
        Form(),
        Overlap(),
        Branch(),
        Menu(),
        Call(),
        Pause(),
        Consent(),
        WordCount(),
        Levels(),
        Retell(),
    )
}
"""YAML key -> node type, in the order :func:`assistant.loader.dialogs.node_from_dict` reports clashes."""

PLAIN = NodeType()
"""A node with none of the keys above: it speaks and goes on to ``next``."""


def handler_for(kind: str | None) -> NodeType:
    return REGISTRY[kind] if kind else PLAIN


__all__ = ["PLAIN", "REGISTRY", "NodeType", "Step", "handler_for"]
