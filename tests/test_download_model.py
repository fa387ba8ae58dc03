"""Tests for scripts/download_model.py against a real HTTP server on 127.0.0.1.

No mocks of urllib: a ``ThreadingHTTPServer`` in a thread serves a tiny fake
Vosk model zip and supports ``Range``; it can be told to ignore ``Range``, to
drop the connection after N body bytes, or to stall after N bytes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "download_model.py"
NAME = "vosk-model-small-en-us-0.15"
MDL_BYTES = random.Random(0).randbytes(300_000)  # stored uncompressed: a ~300 KB zip
CONF_BYTES = b"--sample-frequency=16000\n"


def _load_script():
    spec = importlib.util.spec_from_file_location("download_model", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dm = _load_script()


# --------------------------------------------------------------------------- fixtures
def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def model_zip(tmp_path) -> bytes:
    data = make_zip({"am/final.mdl": MDL_BYTES, "conf/model.conf": CONF_BYTES})
    (tmp_path / "fake-model.zip").write_bytes(data)  # built in tmp_path, served from memory
    return data


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        srv: FakeServer = self.server
        rng = self.headers.get("Range")
        with srv.lock:
            srv.requests.append((self.path, rng))
        self.close_connection = True
        body = srv.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return

        status, start = 200, 0
        m = re.fullmatch(r"bytes=(\d+)-", rng or "")
        if m and not srv.ignore_range:
            start = int(m.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        payload = body[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(payload)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()

        cut = None
        if srv.drop_after is not None:
            cut, srv.drop_after = srv.drop_after, None  # drop only once
        elif srv.stall_after is not None:
            cut = srv.stall_after
        if cut is None:
            self.wfile.write(payload)
            return
        self.wfile.write(payload[:cut])
        self.wfile.flush()
        if srv.stall_after is not None:
            srv.stalled.set()
            srv.release.wait(5)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)  # abrupt end mid-body
        except OSError:
            pass


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        self.ignore_range = False
        self.drop_after: int | None = None
        self.stall_after: int | None = None
        self.stalled = threading.Event()
        self.release = threading.Event()

    def url(self, path: str = "/model.zip") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def server(model_zip):
    srv = FakeServer()
    srv.files["/model.zip"] = model_zip
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(2)


def cli_args(srv, dest, data, *extra, path="/model.zip"):
    return ["--url", srv.url(path), "--sha256", sha(data), "--dest", str(dest), "--timeout", "5", *extra]


def run_script(args, **kw):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True, timeout=20, **kw
    )


def one_line(text: str) -> str:
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


def assert_installed(dest: Path):
    model = dest / NAME
    assert (model / "am" / "final.mdl").read_bytes() == MDL_BYTES
    assert (model / "conf" / "model.conf").read_bytes() == CONF_BYTES
    assert sorted(p.name for p in dest.iterdir()) == [NAME]  # no archive, .part or temp dir


# --------------------------------------------------------------------------- tests
def test_default_dest_is_repository_models_folder():
    assert dm.default_dest() == REPO / "models"
    assert dm.build_parser().parse_args([]).dest == REPO / "models"
    assert dm.MODEL_NAME == NAME
    assert re.fullmatch(r"[0-9a-f]{64}", dm.MODEL_SHA256)


def test_happy_path_subprocess(server, model_zip, tmp_path):
    dest = tmp_path / "models"
    res = run_script(cli_args(server, dest, model_zip))
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""  # no progress bar when stderr is not a terminal
    assert "Installed" in res.stdout
    assert_installed(dest)
    assert server.requests == [("/model.zip", None)]


def test_zip_with_single_top_level_folder_is_unwrapped(server, tmp_path):
    data = make_zip({f"{NAME}/am/final.mdl": MDL_BYTES, f"{NAME}/conf/model.conf": CONF_BYTES})
    server.files["/nested.zip"] = data
    dest = tmp_path / "models"
    assert dm.main(cli_args(server, dest, data, path="/nested.zip")) == 0
    assert_installed(dest)


def test_checksum_mismatch_subprocess(server, model_zip, tmp_path):
    dest = tmp_path / "models"
    args = cli_args(server, dest, model_zip)
    args[args.index("--sha256") + 1] = "0" * 64
    res = run_script(args)
    assert res.returncode == 2
    line = one_line(res.stderr)
    assert "checksum mismatch" in line and "0" * 64 in line and sha(model_zip) in line
    assert list(dest.iterdir()) == []  # neither .part nor archive nor model left


def test_connection_drop_then_resume_from_right_offset(server, model_zip, tmp_path, capsys):
    dest = tmp_path / "models"
    part = dest / f"{NAME}.zip.part"
    server.drop_after = 100_000

    assert dm.main(cli_args(server, dest, model_zip)) == 1
    line = one_line(capsys.readouterr().err)
    assert "resume" in line and str(part) in line
    assert part.stat().st_size == 100_000
    assert not (dest / NAME).exists()

    assert dm.main(cli_args(server, dest, model_zip)) == 0
    assert server.requests[-1] == ("/model.zip", "bytes=100000-")
    assert_installed(dest)


def test_ctrl_c_keeps_part_exits_130_then_resumes(server, model_zip, tmp_path, capsys):
    dest = tmp_path / "models"
    part = dest / f"{NAME}.zip.part"
    server.stall_after = 120_000
    # Make sure SIGINT raises KeyboardInterrupt in the child even if this test
    # process inherited SIGINT as "ignored" (e.g. started as a background job).
    code = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(SCRIPT), *cli_args(server, dest, model_zip)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stalled.wait(10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and (not part.exists() or part.stat().st_size < 100_000):
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "resume" in one_line(err)
    assert part.stat().st_size == 120_000  # everything received was flushed and kept

    server.stall_after = None
    server.release.set()
    assert dm.main(cli_args(server, dest, model_zip)) == 0
    assert server.requests[-1] == ("/model.zip", "bytes=120000-")
    assert_installed(dest)


def test_read_timeout_keeps_part(server, model_zip, tmp_path, capsys):
    dest = tmp_path / "models"
    server.stall_after = 50_000
    args = cli_args(server, dest, model_zip)
    args[args.index("--timeout") + 1] = "0.5"
    assert dm.main(args) == 1
    line = one_line(capsys.readouterr().err)
    assert "timed out" in line and "resume" in line
    assert (dest / f"{NAME}.zip.part").stat().st_size == 50_000


def test_server_ignoring_range_restarts_cleanly(server, model_zip, tmp_path):
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / f"{NAME}.zip.part").write_bytes(b"stale bytes that must not survive" * 100)
    server.ignore_range = True

    assert dm.main(cli_args(server, dest, model_zip)) == 0
    assert server.requests == [("/model.zip", "bytes=3300-")]  # asked, got a full 200
    assert_installed(dest)


def test_complete_part_is_not_downloaded_again(server, model_zip, tmp_path):
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / f"{NAME}.zip.part").write_bytes(model_zip)
    assert dm.main(cli_args(server, dest, model_zip)) == 0
    assert server.requests == [("/model.zip", f"bytes={len(model_zip)}-")]  # answered 416
    assert_installed(dest)


def test_already_installed_is_a_noop(server, model_zip, tmp_path, capsys):
    dest = tmp_path / "models"
    (dest / NAME / "conf").mkdir(parents=True)
    (dest / NAME / "conf" / "model.conf").write_text("existing\n")

    assert dm.main(cli_args(server, dest, model_zip)) == 0
    assert "already installed" in capsys.readouterr().out
    assert server.requests == []
    assert (dest / NAME / "conf" / "model.conf").read_text() == "existing\n"


def test_http_404_subprocess(server, model_zip, tmp_path):
    dest = tmp_path / "models"
    res = run_script(cli_args(server, dest, model_zip, path="/missing.zip"))
    assert res.returncode == 1
    assert "404" in one_line(res.stderr)
    assert not (dest / NAME).exists() and not (dest / f"{NAME}.zip.part").exists()


def test_unreachable_host_is_one_line_exit_1(tmp_path, capsys):
    with socket.socket() as s:  # a port that was just free: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc = dm.main(["--url", f"http://127.0.0.1:{port}/m.zip", "--dest", str(tmp_path), "--timeout", "2"])
    assert rc == 1
    assert "cannot reach" in one_line(capsys.readouterr().err)


def test_zip_with_traversal_member_is_rejected(server, tmp_path, capsys):
    data = make_zip({"am/final.mdl": MDL_BYTES, "conf/model.conf": CONF_BYTES, "../evil": b"pwned"})
    server.files["/evil.zip"] = data
    dest = tmp_path / "models"

    assert dm.main(cli_args(server, dest, data, path="/evil.zip")) == 2
    assert "path traversal" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "evil").exists()
    assert list(dest.iterdir()) == []  # no model, archive, .part or temp dir


@pytest.mark.parametrize("member", ["../evil", "a/../../evil", "/abs/evil", "C:/evil", "..\\evil"])
def test_unpack_rejects_unsafe_members_before_writing(tmp_path, member):
    zip_path = tmp_path / "bad.zip"
    zip_path.write_bytes(make_zip({"am/final.mdl": MDL_BYTES, member: b"pwned"}))
    dest = tmp_path / "dest"
    with pytest.raises(dm.ArchiveError):
        dm.unpack(zip_path, dest, NAME)
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "evil").exists()


def test_unpack_rejects_archive_that_is_not_a_model(tmp_path):
    zip_path = tmp_path / "other.zip"
    zip_path.write_bytes(make_zip({"README": b"hi", "data/x.bin": b"x"}))
    dest = tmp_path / "dest"
    with pytest.raises(dm.ArchiveError, match="does not contain a Vosk model"):
        dm.unpack(zip_path, dest, NAME)
    assert list(dest.iterdir()) == []


def test_unpack_replaces_leftovers_atomically(tmp_path, model_zip):
    zip_path = tmp_path / "m.zip"
    zip_path.write_bytes(model_zip)
    dest = tmp_path / "dest"
    (dest / NAME).mkdir(parents=True)
    (dest / NAME / "half-written").write_text("junk")
    (dest / f".{NAME}.unpack-stale").mkdir()  # left by a killed earlier unpack

    assert dm.unpack(zip_path, dest, NAME) == dest / NAME
    assert_installed(dest)
    assert not (dest / NAME / "half-written").exists()


def test_verify_and_download_functions(server, model_zip, tmp_path):
    part = tmp_path / "x.zip.part"
    assert dm.download(server.url(), part, progress=False) == part
    assert dm.verify(part, sha(model_zip).upper()) == sha(model_zip)
    with pytest.raises(dm.ChecksumError):
        dm.verify(part, "f" * 64)
    with pytest.raises(dm.DownloadError, match="HTTP 404"):
        dm.download(server.url("/nope"), tmp_path / "y.part", progress=False)


# --------------------------------------------------------------------------- whisper models
WHISPER_FILES = {name: random.Random(name).randbytes(2000) for name in dm.WHISPER_FILES}


def whisper_sums(tmp_path, files=WHISPER_FILES) -> Path:
    path = tmp_path / "SHA256SUMS"
    path.write_text("".join(f"{sha(data)}  {name}\n" for name, data in files.items()))
    return path


def test_whisper_model_installs_verified_with_its_checksums(server, tmp_path):
    for name, data in WHISPER_FILES.items():
        server.files[f"/w/{name}"] = data
    dest = tmp_path / "models"
    result = run_script(
        [
            "--whisper",
            "base.en",
            "--sums",
            str(whisper_sums(tmp_path)),
            "--base-url",
            server.url("/w/"),
            "--dest",
            str(dest),
            "--no-progress",
        ]
    )
    assert result.returncode == 0, result.stderr
    target = dest / "faster-whisper-base.en"
    assert {p.name for p in target.iterdir()} == {*WHISPER_FILES, "SHA256SUMS"}
    assert (target / "model.bin").read_bytes() == WHISPER_FILES["model.bin"]
    from assistant.speech.asr.whisper import read_sums

    assert read_sums(target / "SHA256SUMS") == {name: sha(data) for name, data in WHISPER_FILES.items()}
    assert not list(dest.glob(".*part*"))


def test_whisper_file_with_the_wrong_checksum_is_refused_and_deleted(server, tmp_path):
    for name, data in WHISPER_FILES.items():
        server.files[f"/w/{name}"] = data if name != "model.bin" else b"tampered" + data
    dest = tmp_path / "models"
    result = run_script(
        [
            "--whisper",
            "base.en",
            "--sums",
            str(whisper_sums(tmp_path)),
            "--base-url",
            server.url("/w/"),
            "--dest",
            str(dest),
            "--no-progress",
        ]
    )
    assert result.returncode == dm.EXIT_BAD_DOWNLOAD
    assert "checksum mismatch for model.bin" in one_line(result.stderr)
    assert not (dest / "faster-whisper-base.en").exists()
    assert not list(dest.rglob("model.bin*"))


def test_whisper_base_without_checksums_is_refused_before_downloading(server, tmp_path):
    result = run_script(["--whisper", "base.en", "--base-url", server.url("/w/"), "--dest", str(tmp_path)])
    assert result.returncode == dm.EXIT_ERROR and "--sums" in one_line(result.stderr)
    assert server.requests == []


def test_whisper_tiny_checksums_are_the_embedded_models():
    from assistant.speech.asr.whisper import EMBEDDED_SHA256

    assert dm.WHISPER_MODELS["tiny.en"][1] == dict(EMBEDDED_SHA256)
