"""The README's two commands are the ones CI and a new user run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("## Two commands") :]
    block = block[block.index("```sh\n") + 6 :]
    block = block[: block.index("```")]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_test_command_exactly():
    install, test = readme_commands()
    assert install.startswith("python3 -m venv .venv && .venv/bin/pip install -e . && ")
    assert test.startswith("python3 -m venv .venv && ") and test.endswith("-m pytest")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test in ci_lines


def test_the_readme_names_the_debian_packages_ci_installs():
    readme = (ROOT / "README.md").read_text()
    apt = re.search(r"sudo apt-get install ([a-z0-9 .-]+)", readme)
    assert apt, "README names the apt line"
    ci = (ROOT / ".ci" / "run").read_text()
    listed = re.search(r"for pkg in ([a-z0-9 .-]+); do", ci)
    assert listed and set(apt.group(1).split()) == set(listed.group(1).split())


# --------------------------------------------------------------------------- the README, in order, on a fresh copy


def at_home_commands() -> list[str]:
    """The commands of the README's "A check-in at home", both blocks, in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## A check-in at home") :]
    section = section[: section.index("\n## ")]
    commands = []
    for block in section.split("```sh\n")[1:]:
        block = block[: block.index("```")]
        commands += [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    return commands


def fresh_copy(target: Path) -> Path:
    """The tracked files as a fresh clone has them (taken from the working tree, so
    uncommitted edits are tested too), committed in a new repository to compare against."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fresh"]):
        subprocess.run([*git, *args], cwd=target, check=True, capture_output=True)
    return target


def test_the_readme_at_home_in_order_on_a_fresh_copy(tmp_path):
    """A couple's first evening as the README tells it.  What runs how:
    - `sudo apt-get install ...` is not run (this machine has the packages; the test above
      checks the list is CI's);
    - the venv line is not run: the current venv's packages serve, and `checkin` is the
      installed entry point's own function (`python -m assistant.cli.start`, what
      `.venv/bin/checkin` calls) on the copy's code (PYTHONPATH), so there is no network;
    - `sudo ln -sf ...` is not run (it writes /usr/local/bin): it must link the venv's checkin;
    - `checkin setup` is answered on stdin; `checkin run` finds no microphone here (the
      test's settings name one that cannot exist, waiting 3 s) and must say so first;
      `checkin chat` types an evening; `checkin history` must show it and no other couple's.
    Before them, a placeholder couple's evening is in the journal, as when the first command
    ran `checkin chat` before setup."""
    clone = fresh_copy(tmp_path / "clone")
    home = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    env = {**os.environ, **home, "PYTHONPATH": str(clone), "PYTHONDONTWRITEBYTECODE": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "import assistant; print(assistant.__file__)"],
        env=env,
        cwd=clone,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(clone)), "the copy's code runs"

    def checkin(args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "assistant.cli.start", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=clone,
            timeout=180,
        )

    earlier = "".join(
        json.dumps({"text": t}) + "\n"
        for t in ["high", "plan a date", "a picnic by the lake", "saturday", "noon", "yes", "wrap up"]
    )
    assert checkin(["chat", "--jsonl", "--now", "2026-11-25T18:00"], earlier).returncode == 0

    user_file = tmp_path / "config" / "checkin" / "config.yaml"
    answers = {
        "setup": "Maya\n\nSam\n\nGermany\n\n\nn\nn\nnone\n",  # none: satellites other tests may announce
        "chat": "high\nname a feeling\ngrateful\nmy friend visited\nthat makes sense\nstop\n",
    }
    commands = at_home_commands()
    assert [c.split()[0] for c in commands] == ["sudo", "python3", "sudo", "checkin", "checkin", "checkin", "checkin"]
    ran = []
    for command in commands:
        words = command.split()
        if words[0] == "sudo" and words[1] == "ln":
            assert '"$PWD/.venv/bin/checkin"' in command and command.endswith("/usr/local/bin/checkin")
            continue
        if words[0] != "checkin":
            continue
        if words[1] == "run":  # no microphone here, and not two minutes of waiting
            from assistant import config

            config.write_config(
                user_file,
                user_file.read_text() + "audio: {input_device: no-such-microphone-here, device_wait_s: 3}\n",
            )
        result = checkin(words[1:], answers.get(words[1], ""))
        ran.append(words[1])
        if words[1] == "run":
            first = result.stderr.splitlines()[0]
            assert result.returncode == 4 and first.startswith("checkin: waiting for a microphone"), result.stderr
        else:
            assert result.returncode == 0, (command, result.stderr)
        if words[1] == "chat":
            assert "Coach: Hi Maya, hi Sam." in result.stdout
        if words[1] == "history":
            assert "Maya felt grateful" in result.stdout, result.stdout
            assert "picnic" not in result.stdout and "Alex" not in result.stdout and "1 check-in(s)" in result.stdout
    assert ran == ["setup", "run", "chat", "history"]
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=clone, capture_output=True, text=True
    )
    assert changed.stdout == "", "the tracked files are unchanged"
    assert yaml.safe_load(user_file.read_text())["partners"] == ["Maya", "Sam"]
