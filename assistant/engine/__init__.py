"""The conversation engine: a pure state machine over dialogs, its node types, the dialogs' model and
memory across nights; may import formats and text only (no I/O).

    engine = Engine(load_dir("dialogs"))
    state, actions = engine.start(Context(partners=("Maya", "Sam"), now=..., session_id="..."))
    state, actions = engine.handle(state, Heard("yes"))

``start`` and ``handle`` never read a clock, touch audio or files, or mutate their input:
they return a new :class:`State` and a list of actions (:class:`~assistant.formats.events.Say`,
:class:`~assistant.formats.events.Listen`, :class:`~assistant.formats.events.Save`, :class:`~assistant.formats.events.End`).
The session loop (:mod:`assistant.home.session`) carries the actions out.

Inside: :mod:`.core` (start, handle, entering and leaving nodes, VoiceXML noinput/nomatch
counting, records), :mod:`.commands` (global commands), :mod:`.render` (templates and
styles), :mod:`.step` (the narrow interface node handlers act through) and :mod:`.nodes`
(one module per node type, and their registry).
"""

from __future__ import annotations

from .core import Engine
from .state import Answer, Context, Frame, Interpreter, State, plain_answer

__all__ = ["Answer", "Context", "Engine", "Frame", "Interpreter", "State", "plain_answer"]
