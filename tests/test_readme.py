"""The README's two commands are the ones CI and a new user run."""

from __future__ import annotations

import re
from pathlib import Path

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
