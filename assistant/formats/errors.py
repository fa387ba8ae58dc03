"""The project's errors: one base class, each kind carrying the exit code of ``checkin``.

Every error a user can cause or meet is a :class:`CheckinError` whose ``str()`` is one line;
``checkin`` prints it and exits with its ``exit_code`` (never a traceback).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAULT = 1
"""A fault at run time: a device, a model, the journal, the voice."""
EXIT_INVALID = 2
"""Invalid input: a dialog, config, scenario, protocol line or command-line value."""
EXIT_UNMET = 3
"""``checkin simulate``: the scenario ran, but its ``expect`` was not met."""
EXIT_NO_MICROPHONE = 4
"""``checkin run`` found no microphone (and no satellite) at start; the systemd unit does not restart on it."""
EXIT_INTERRUPTED = 130
"""Ctrl-C or SIGTERM (what was said so far is saved)."""


def one_line(error: BaseException | str) -> str:
    """An exception's (or any) message on one line: whitespace and line breaks folded to
    single spaces; an exception with no message gives its class name."""
    text = " ".join(str(error).split())
    return text or (type(error).__name__ if isinstance(error, BaseException) else "")


class CheckinError(Exception):
    """Base of every error ``checkin`` reports as one line."""

    exit_code = EXIT_FAULT


class InvalidInput(CheckinError):
    """Something given to Check-in is wrong (a file, a line, a value)."""

    exit_code = EXIT_INVALID


class Fault(CheckinError):
    """Something Check-in needs at run time is missing or failing (device, model, journal)."""

    exit_code = EXIT_FAULT


class UsageError(InvalidInput):
    """A bad command-line value."""
