"""Check-in: an offline voice coach for couples.

The heart is :mod:`assistant.engine`, a pure state machine over dialogs loaded by
:mod:`assistant.dialogs`.  Everything that touches the outside world (microphone,
recognisers, speech synthesis, the journal) is a port wired by :mod:`assistant.session`.
"""

__version__ = "0.1.0"
