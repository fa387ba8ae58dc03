"""The safety screen: is someone in danger?  Offline, data-driven (dialogs/meaning/safety.yaml).

Returns a category, never the words: the caller must not keep, repeat or show what was said.
"""

from __future__ import annotations

from .tables import Tables
from .text import canonical


def screen(text: str, tables: Tables) -> str | None:
    """The safety category an answer falls in (suicide, self_harm, violence, abuse, crisis,
    help), or None.  Known false alarms ("I nearly killed myself laughing") are removed first."""
    t = canonical(text)
    if not t:
        return None
    for alarm in tables.false_alarms:
        t = alarm.sub(" ", t)
    t = " ".join(t.split())
    for category, pattern in tables.safety:
        if pattern.search(t):
            return category
    return None
