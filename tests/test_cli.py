"""The command line: init/add/status/segments/codebook, and each bad input as one clear message with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
BAD = FIXTURES / "bad"
MANIFESTS = FIXTURES / "manifests"
CODEBOOKS = FIXTURES / "codebooks"
REPO = TESTS.parent

LCCODE = [sys.executable, "-m", "lccode"]


def run_lccode(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="250")
    return subprocess.run([*LCCODE, *map(str, args)], capture_output=True, text=True, cwd=cwd or REPO, env=env,
                          timeout=120)


@pytest.fixture
def ws_dir(tmp_path, cli):
    """A workspace created through the CLI, holding one transcript."""
    root = tmp_path / "ws"
    assert cli("init", root)[0] == 0
    assert cli("add", "-w", root, TRANSCRIPTS / "nl_hash_stamps.txt")[0] == 0
    return root


def assert_clear_error(code: int, err: str, *parts: str):
    """Exit code 2, one 'Error:' naming what is wrong, where, what was expected and the fix; no traceback."""
    assert code == 2, err
    assert err.count("Error:") == 1 and "Traceback" not in err
    assert "expected:" in err and "fix:" in err, err
    for part in parts:
        assert part in err, (part, err)


# -- the real entry point -----------------------------------------------------------------------------------------

def test_help_lists_the_commands():
    proc = run_lccode("--help")
    assert proc.returncode == 0
    for command in ("init", "add", "status", "segments", "codebook"):
        assert command in proc.stdout


def test_version():
    from lccode import __version__

    proc = run_lccode("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"lccode {__version__}"


def test_bad_input_exits_2_from_the_installed_command(tmp_path):
    assert run_lccode("init", tmp_path / "ws").returncode == 0
    proc = run_lccode("add", "-w", tmp_path / "ws", BAD / "not_a_zip.docx")
    assert_clear_error(proc.returncode, proc.stderr, "not_a_zip.docx", "not a Word document")
    assert proc.stdout == ""


# -- the main flow ------------------------------------------------------------------------------------------------

def test_init_add_status_segments(tmp_path, cli):
    root = tmp_path / "ws"
    code, out, _ = cli("init", root)
    assert code == 0 and "Created workspace" in out and "learning-communities@" in out
    code, out, _ = cli("add", "-w", root, TRANSCRIPTS)
    assert code == 0
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]] for line in out.splitlines()
            if line.count("│") >= 5 and line.split("│")[1].strip()}
    assert rows["nl_meeting_voices.vtt"][:2] == ["added", "nl-vtt"] and rows["en_presegmented.jsonl"][:2] == ["added", "en-jsonl"]
    assert rows["nl_meeting_voices.vtt"][2].endswith("language nl")
    code, out, _ = cli("add", "-w", root, TRANSCRIPTS)
    assert code == 0 and out.count("unchanged") == 16
    code, out, _ = cli("status", "-w", root)
    assert code == 0
    assert "16 transcripts" in out and "0 coded, 0 reviewed" in out
    for word in ("gas-erop", "ecosystem", "fieldlab", "micro", "meeting", "auto", "Segments by detected language"):
        assert word in out
    code, out, _ = cli("segments", "-w", root, "--transcript", "nl-vtt", "--limit", "3")
    assert code == 0
    assert "Zo, de opname loopt." in out and "Marieke" in out and "facilitator" in out and "00:00:02" in out


def test_workspace_from_the_environment(ws_dir, cli, monkeypatch):
    monkeypatch.setenv("LCCODE_WORKSPACE", str(ws_dir))
    code, out, _ = cli("status")
    assert code == 0 and "1 transcripts" in out


def test_codebook_validate_and_show(cli):
    code, out, _ = cli("codebook", "validate")
    assert code == 0 and "25 codes in 4 categories" in out
    code, out, _ = cli("codebook", "validate", CODEBOOKS / "small.yaml")
    assert code == 0 and "small-test@0.3#" in out
    code, out, _ = cli("codebook", "show", "--lang", "nl")
    assert code == 0 and "sf_reciprocity" in out and "Wederkerigheid" in out
    code, out, _ = cli("codebook", "show", CODEBOOKS / "small.yaml", "--full")
    assert code == 0 and "Broken trust" in out and "examples: I know Jan will deliver." in out


def test_codebook_validate_reports_every_problem(cli):
    code, _, err = cli("codebook", "validate", CODEBOOKS / "all_problems.yaml")
    assert code == 2 and err.count("all_problems.yaml:") == 7
    for line, text in ((7, "unknown key 'colour'"), (13, "duplicate code id 'trust'"), (19, "bad colour '#12345'"),
                       (11, "code trust definition has no 'nl' text")):
        assert f"all_problems.yaml:{line}: {text}" in err


# -- bad input: clear message, exit 2, nothing written -----------------------------------------------------------

@pytest.mark.parametrize("name, message, line", [
    ("empty.txt", "the file is empty", None),
    ("binary.txt", "this looks like a binary file", None),
    ("undecodable.txt", "cannot decode byte 0x81", 3),
    ("not_a_zip.docx", "not a Word document", None),
    ("comma_timing.vtt", "malformed subtitle cue", 8),
    ("no_header.vtt", "must start with the line 'WEBVTT'", 1),
    ("dot_timing.srt", "malformed subtitle cue", 6),
    ("backwards.srt", "cue ends before it starts", 5),
    ("bad_json.jsonl", "not valid JSON", 2),
    ("unsupported.pdf", "unsupported file type", None),
])
def test_bad_transcript(db_snap, ws_dir, cli, name, message, line):
    before = db_snap(ws_dir)
    code, out, err = cli("add", "-w", ws_dir, TRANSCRIPTS / "en_crlf.txt", BAD / name)
    where = f"{BAD / name}:{line}" if line else str(BAD / name)
    assert_clear_error(code, err, where, message)
    assert db_snap(ws_dir) == before


@pytest.mark.parametrize("case, parts", [
    ("missing_file", ["manifest.csv:3 (field 'file')", "'two.txt', which does not exist"]),
    ("bad_level", ["manifest.csv:2 (field 'level')", "unknown level 'meso'", "ecosystem | fieldlab | micro"]),
    ("bad_yaml", ["manifest.yaml:5", "not valid YAML"]),
])
def test_bad_manifest(db_snap, ws_dir, cli, case, parts):
    before = db_snap(ws_dir)
    code, _, err = cli("add", "-w", ws_dir, MANIFESTS / case)
    assert_clear_error(code, err, *parts)
    assert db_snap(ws_dir) == before


def test_manifest_with_several_problems_lists_them_all(ws_dir, cli):
    code, _, err = cli("add", "-w", ws_dir, MANIFESTS / "many_problems")
    assert code == 2
    for field in ("level", "kind", "language", "date", "roles"):
        assert f"manifest.csv:2 (field '{field}')" in err


@pytest.mark.parametrize("args, parts", [
    (["--level", "meso"], ["unknown level 'meso' for --level", "ecosystem | fieldlab | micro"]),
    (["--kind", "talk"], ["unknown kind 'talk' for --kind"]),
    (["--language", "de"], ["unknown language 'de' for --language", "nl | en | other | auto"]),
])
def test_bad_option_values(db_snap, ws_dir, cli, args, parts):
    before = db_snap(ws_dir)
    code, _, err = cli("add", "-w", ws_dir, *args, TRANSCRIPTS / "en_crlf.txt")
    assert_clear_error(code, err, *parts)
    assert db_snap(ws_dir) == before


def test_missing_paths_and_workspaces(tmp_path, ws_dir, cli):
    code, _, err = cli("add", "-w", ws_dir, tmp_path / "nope")
    assert code == 2 and "path not found" in err and "nope" in err
    code, _, err = cli("status", "-w", tmp_path / "nowhere")
    assert code == 2 and "no lccode workspace here" in err and f"lccode init {tmp_path / 'nowhere'}" in err
    code, _, err = cli("init", ws_dir)
    assert code == 2 and "a workspace already exists here" in err
