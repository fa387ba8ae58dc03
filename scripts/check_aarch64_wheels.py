#!/usr/bin/env python3
"""Check that every runtime dependency (and theirs) installs on 64-bit Raspberry Pi OS:
``pip download --no-deps --only-binary=:all: --platform manylinux2014_aarch64`` of the
runtime dependencies in pyproject.toml and everything they require (the versions
installed here, found through the installed packages' metadata), into a temporary folder
that is removed afterwards.  Needs the package index; prints one line per wheel and exits
1 with pip's reason when something has no aarch64 (or pure-Python) wheel.  ``srt`` (for
vosk) and ``docopt`` (for num2words) ship only as source archives of one pure-Python
module each.

Usage: python scripts/check_aarch64_wheels.py [--python-version 3.11]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def runtime_dependencies() -> list[str]:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"])


PURE_PYTHON_SDISTS = {"srt", "docopt"}


def closure(requirements: list[str]) -> dict[str, str]:
    """``{name: installed version}`` of the requirements and all they require here."""
    import re
    from importlib import metadata

    from packaging.requirements import Requirement

    found: dict[str, str] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in found:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            found[name] = ""
            continue
        found[name] = dist.version
        todo += [Requirement(r) for r in dist.requires or ()]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-version", default="3.11")
    parser.add_argument(
        "--platform",
        action="append",
        help="wheel platform tags (default: manylinux2014_aarch64 and manylinux_2_28_aarch64: Raspberry Pi OS 12 has glibc 2.36)",
    )
    args = parser.parse_args(argv)
    platforms = args.platform or ["manylinux2014_aarch64", "manylinux_2_28_aarch64"]
    packages = closure(runtime_dependencies())
    wanted = [
        f"{name}=={version}" if version else name
        for name, version in sorted(packages.items())
        if name not in PURE_PYTHON_SDISTS
    ]
    deps = wanted
    with tempfile.TemporaryDirectory(prefix="checkin-wheels-") as dest:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            *(f"--platform={p}" for p in platforms),
            "--python-version",
            args.python_version,
            "-d",
            dest,
            *deps,
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(p.name for p in Path(dest).iterdir())
        for wheel in wheels:
            print(wheel)
        if result.returncode != 0:
            reason = [
                line for line in result.stderr.splitlines() if "ERROR" in line
            ] or result.stderr.strip().splitlines()[-1:]
            print(
                f"check_aarch64_wheels: {'/'.join(platforms)}: {reason[0] if reason else 'pip failed'}", file=sys.stderr
            )
            return 1
    print(
        f"{len(deps)} packages, {len(wheels)} wheels: all install on {' / '.join(platforms)} (Python {args.python_version}); pure-Python sources: {', '.join(sorted(PURE_PYTHON_SDISTS))}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
