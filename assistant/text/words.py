"""Words as every reader of answers sees them: normalised text, and the filler that carries no
content.  The ground floor of :mod:`assistant.text` (no imports from it)."""

from __future__ import annotations

import re

_PUNCT = re.compile(r"[^\w\s']+")
_SPACES = re.compile(r"\s+")

FILLER = frozenset(
    """a an the and or but so um uh er erm hmm like you know i mean well basically actually really just
    kind of sort of i me my mine myself we us our ours you your yours he him his she her hers they them their
    it its this that these those is am are was were be been being have has had do does did to of in on at
    for with about from by as into than then there here what which who whom when where why how all any some
    very too also not no yes yeah okay ok oh can could would should will shall may might must get got going
    gonna wanna think said say says feel felt today tonight thing things stuff lot bit maybe pretty quite""".split()
)
"""Words that carry no content for overlap scoring (stop words and speech filler)."""


def normalise(text: str) -> str:
    """Lower-case, 'check-in' -> 'check in', punctuation dropped, spaces folded."""
    text = text.lower().replace("-", " ").replace("’", "'")
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


__all__ = ["FILLER", "normalise"]
