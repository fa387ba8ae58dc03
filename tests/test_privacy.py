"""What a spoken check-in leaves on the device: the prompt cache holds exactly what
`checkin prepare` makes (never a read-back of what the couple said), nothing new appears
under $HOME or the temp folder, and `forget` empties the cache, data and log folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from synth import needs_piper

from assistant.speech.synthetic import piper_pcm

pytestmark = pytest.mark.speech
ROOT = Path(__file__).resolve().parent.parent


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@needs_piper
def test_a_spoken_session_leaves_only_static_prompts_and_forget_empties_everything(tmp_path):
    from assistant.cli.bench import NOW, one_session_recording

    home, temp, work, run = tmp_path / "home", tmp_path / "tmp", tmp_path / "work", tmp_path / "run"
    for folder in (home, temp, work, run):
        folder.mkdir(mode=0o700)
    cfg = work / "config.yaml"
    cfg.write_text(
        f"partners: [Alex, Sam]\ndialogs: {ROOT / 'dialogs'}\nasr: {{vosk_model: {ROOT / 'models' / 'vosk-model-small-en-us-0.15'}}}\n"
    )
    recording = work / "evening.wav"
    one_session_recording(recording, cfg, work, piper_pcm)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    # a login session's runtime folder (RAM-backed on a Pi), where sound servers and renders go
    env.update(HOME=str(home), TMPDIR=str(temp), XDG_RUNTIME_DIR=str(run), PYTHONPATH=str(ROOT))

    def checkin(*args):
        result = subprocess.run(
            [sys.executable, "-m", "assistant.cli", *args, "--config", str(cfg)],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result

    checkin("prepare")
    cache = home / ".cache" / "checkin" / "prompts"
    prepared = files_under(home)
    assert prepared and all(name.startswith(".cache/checkin/prompts/") and name.endswith(".wav") for name in prepared)
    assert cache.stat().st_mode & 0o777 == 0o700

    summary = json.loads(checkin("listen", str(recording), "--now", NOW).stdout)
    assert summary["sessions"] == ["completed"], summary
    records = json.loads(checkin("history", "--json").stdout)
    entry = records[0]["exercises"][-1]
    assert entry["exercise"] == "plan-a-date" and "movie" in entry["activity"], entry

    after = files_under(home)
    data = home / ".local" / "share" / "checkin"
    assert after - prepared == {str((data / "journal.sqlite3").relative_to(home))}, "only the journal is new"
    assert files_under(cache) == {Path(p).name for p in prepared}, "the read-backs were never cached"
    assert list(temp.iterdir()) == [], "nothing was left in the temp folder"
    assert not [p for p in run.iterdir() if p.name.startswith("checkin-")], "every private render folder was deleted"

    checkin("forget", "--yes")
    assert list(cache.iterdir()) == [] and list(data.iterdir()) == []
    assert files_under(home) == set()
