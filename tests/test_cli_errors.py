"""The error contract of every command: a bad option or argument is one clear message (exit code 2, no traceback)
that names what is wrong and says how to fix it.

The commands and their parameters are read from the typer app, so a new command or option is fed bad values as
soon as it exists; a parameter this file cannot classify fails `test_every_parameter_is_classified` until it is
given a role below. Option values are checked before anything is read or computed, so each bad value is named even
where the rest of the call could not run either (the workspace here has transcripts but no model has coded it).
Nothing heavy can run: models live in an empty folder, and training, building the base model and serving the
review page raise `ReachedWork` instead, which fails the test.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import typer

from lccode.cli import app

TESTS = Path(__file__).resolve().parent
TRANSCRIPTS = TESTS / "fixtures" / "transcripts"
CODEBOOKS = TESTS / "fixtures" / "codebooks"
GOLD = TESTS / "fixtures" / "gold" / "interview.jsonl"

# What a path parameter must be; the bad values each role is fed are in `BAD_PATHS`.
PATH_ROLES = {
    "workspace": "workspace", "from_workspace": "workspace", "directory": "new folder",
    "codebook": "codebook", "file": "input file", "project": "input file", "mapping": "input file",
    "paths": "input", "gold": "input", "data": "input", "dev": "input", "corpus": "input folder",
    "model": "input folder", "output": "output file", "report": "output file", "json_out": "output file",
    "dest": "output folder",
}
PATH_ROLES_IN = {
    ("codebook validate", "file"): "codebook", ("codebook show", "file"): "codebook",
    ("review export", "file"): "output file", ("export csv", "output"): "output folder",
    ("train", "output"): "output folder", ("review retrain", "output"): "output folder",
    ("sample", "workspace"): "new folder", ("sample", "model"): "output folder",  # trained there if missing
}
BAD_PATHS = {
    "workspace": ("missing", "file"),
    "new folder": ("file", "under a file"),
    "codebook": ("missing", "folder", "malformed codebook"),
    "input file": ("missing", "folder"),
    "input": ("missing", "empty folder"),
    "input folder": ("missing", "file"),
    "output file": ("folder", "under a file"),
    "output folder": ("file", "under a file"),
}
# Text options with a fixed set of values, and a value outside it.
CHOICES = {"unit": "paragraph", "device": "tpu", "lang": "xx", "level": "meso", "kind": "talk", "language": "de",
           "code": "no_such_code", "model_id": "no-such-model", "model": "no-such-model"}
# Text whose every value is valid: names, ids and filters the user makes up.
FREE_TEXT = {"community", "transcript", "analyst", "text_column", "name", "codebook_id", "prefix",
             "base_model"}  # a hub id or folder, checked where the encoder is loaded (trainer)
FREE_TEXT_IN = {("codebook import", "lang")}  # the language of the imported file's code names: any
# Counts where 0 means something (a free port, no context, the head only, no replay, seed 0).
ZERO_OK = {"port", "context", "trainable_layers", "replay", "seed"}
# A valid value for required arguments, and for arguments the bad value must not be masked by.
BASE_ARGS = {
    "add": {"paths": TRANSCRIPTS / "en_crlf.txt"},
    "codebook import": {"file": "QDC"},
    "import refi": {"project": "QDPX"},
    "review export": {"file": "OUT/queue.xlsx"},
    "review import": {"file": "OUT/queue.xlsx"},
    "evaluate": {"gold": GOLD},
}
EXCLUSIVE = {("evaluate", "workspace"): {"gold"}}  # gold comes from a file or a workspace, not both
# Holes whose fix is in code another change is rewriting; strict, so the mark goes as soon as they are fixed.
KNOWN_HOLES: dict[str, str] = {}  # parameter name -> why a bad value still gets through (xfail, strict)


class ReachedWork(AssertionError):
    """A bad value got past every check to the heavy work."""


def commands(group=None, path=()):
    group = group or typer.main.get_command(app)
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from commands(cmd, path + (name,))
        else:
            yield " ".join(path + (name,)), cmd


def role(cmd: str, param) -> str | None:
    """'path:ROLE', 'number', 'choice' or 'free'; None for a parameter this file does not know."""
    kind = param.type_descriptor.annotation
    name = param.name
    if kind in (Path, list[Path]):
        r = PATH_ROLES_IN.get((cmd, name)) or PATH_ROLES.get(name)
        return r and f"path:{r}"
    if kind is bool:
        return "free"
    if kind in (int, float):
        return "number"
    if kind is str:
        if (cmd, name) in FREE_TEXT_IN or name in FREE_TEXT:
            return "free"
        return "choice" if name in CHOICES else None
    return None


def bad_values(cmd: str, param) -> list[tuple[str, object]]:
    r = role(cmd, param)
    kind = param.type_descriptor.annotation
    if r.startswith("path:"):
        return [(case, case) for case in BAD_PATHS[r[5:]]]
    if r == "number":
        values = [-1] + ([] if param.name in ZERO_OK else [0])
        return [(f"{v}", kind(v)) for v in values]
    if r == "choice":
        return [(CHOICES[param.name], CHOICES[param.name])]
    return []


def all_cases():
    for cmd, command in commands():
        for param in command.params:
            if role(cmd, param) is None:
                continue
            hole = KNOWN_HOLES.get(param.name) if role(cmd, param) == "choice" else None
            marks = [pytest.mark.xfail(strict=True, reason=hole)] if hole else []
            for label, value in bad_values(cmd, param):
                yield pytest.param(cmd, param.name, value, id=f"{cmd.replace(' ', '-')}:{param.name}={label}", marks=marks)


def command_params(cmd: str):
    return {p.name: p for name, c in commands() if name == cmd for p in c.params}


def test_every_parameter_is_classified():
    unknown = [(cmd, p.name, p.type_descriptor.annotation) for cmd, c in commands() for p in c.params
               if role(cmd, p) is None]
    assert not unknown, f"give these parameters a role in {Path(__file__).name}: {unknown}"


def test_every_command_is_walked():
    names = {cmd for cmd, _ in commands()}
    assert {"init", "add", "segments", "train", "code", "codebook validate", "review serve", "export refi",
            "import refi", "sample", "provision", "evaluate"} <= names


# -- the setting every case runs in -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ready(tmp_path_factory):
    """A workspace with one transcript (not coded), a REFI-QDA project and codebook, shared by every case."""
    from lccode.codebook import load_codebook
    from lccode.export.refi import codebook_xml, write_qdpx
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths

    root = tmp_path_factory.mktemp("contract")
    ws = Workspace.create(root / "ws")
    add_paths(ws, [TRANSCRIPTS / "en_crlf.txt"])
    write_qdpx(ws, root / "project.qdpx")
    ws.close()
    (root / "codebook.qdc").write_bytes(codebook_xml(load_codebook()))
    return root


@pytest.fixture
def no_heavy_work(monkeypatch, tmp_path):
    import lccode.model.provision

    def reached(what):
        def boom(*args, **kwargs):
            raise ReachedWork(f"a bad value reached {what}")
        return boom

    monkeypatch.setenv("LCCODE_MODELS", str(tmp_path / "models"))
    for name, fn in (("lccode.model.trainer", "train"), ("lccode.review.app", "serve")):
        monkeypatch.setitem(sys.modules, name, types.SimpleNamespace(**{fn: reached(f"{name}.{fn}")}))
    monkeypatch.setattr(lccode.model.provision, "file_sha256", reached("building the base model"))
    monkeypatch.setattr(lccode.model.provision, "read_e5", reached("building the base model"))


def make_bad(case: str, tmp_path: Path, name: str) -> Path:
    """A path of the given kind, named after the parameter so the message can be checked for it."""
    path = tmp_path / f"bad-{name}"
    if case in ("folder", "empty folder"):
        path.mkdir()
    elif case == "file":
        path.write_text("not what was asked for\n", encoding="utf-8")
    elif case == "under a file":
        path.write_text("a file, not a folder\n", encoding="utf-8")
        path = path / "inside.out"
    elif case == "malformed codebook":
        path = path.with_suffix(".yaml")
        path.write_bytes((CODEBOOKS / "not_yaml.yaml").read_bytes())
    return path


def argv(cmd: str, values: dict) -> list[str]:
    params = command_params(cmd)
    out = cmd.split()
    for name, value in values.items():
        p = params[name]
        if p.param_type_name == "argument":
            out.append(str(value))
        else:
            out += [p.opts[0], str(value)]
    return out


def words(text: str) -> str:
    """Lower case, '-' and '_' read as spaces: '--batch-size', 'batch_size' and 'batch size' are one name."""
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def named(err: str, *names: str) -> bool:
    return any(words(n) in words(err) for n in names)


@pytest.mark.parametrize("cmd, name, value", list(all_cases()))
def test_bad_value_is_one_clear_message(cmd, name, value, ready, cli, tmp_path, monkeypatch, no_heavy_work):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LCCODE_WORKSPACE", str(ready / "ws"))
    known = {"QDC": ready / "codebook.qdc", "QDPX": ready / "project.qdpx"}
    base = {k: known.get(str(v), v) for k, v in BASE_ARGS.get(cmd, {}).items()}
    base = {k: (tmp_path / v[4:] if str(v).startswith("OUT/") else v) for k, v in base.items()}
    for other in EXCLUSIVE.get((cmd, name), ()):
        base.pop(other, None)
    param = command_params(cmd)[name]
    if isinstance(value, str) and value in {c for cases in BAD_PATHS.values() for c in cases}:
        bad = make_bad(value, tmp_path, name)
        names = [bad.name if value != "under a file" else bad.parent.name]
    else:
        bad = value
        names = [str(value)] if role(cmd, param) == "choice" else [*param.opts, name]
    code, out, err = cli(*argv(cmd, {**base, name: bad}))
    assert code == 2, (code, out, err)
    assert err.count("Error:") == 1 and "Traceback" not in out + err, err
    assert "fix:" in err, err
    assert named(err, *names), (names, err)


# -- one at a time ------------------------------------------------------------------------------------------------

def test_unknown_unit_for_init(tmp_path, cli):
    code, _, err = cli("init", tmp_path / "ws", "--unit", "paragraph")
    assert code == 2 and "Traceback" not in err
    assert "unknown segment unit 'paragraph'" in err and "sentence | turn" in err
    assert not (tmp_path / "ws").exists()


def test_segments_shows_transcript_text_as_written(tmp_path, cli):
    """Transcript text and paths are never rich markup: labels like [id1] and notes like [inaudible] show, and a
    stray [/b] is text, not a markup error."""
    src = tmp_path / "t.txt"
    src.write_text("We waited [inaudible] for [id1] and the [b]board[/b]. Then [/b] [/] [bold red]nothing[/] came.\n",
                   encoding="utf-8")
    ws = tmp_path / "ws [/b] [id1]"
    code, out, err = cli("init", ws)
    assert code == 0 and f"Created workspace {ws} " in " ".join(out.split()), err
    assert cli("add", "-w", ws, src)[0] == 0
    code, out, err = cli("status", "-w", ws)
    assert code == 0 and f"Workspace {ws}: 1 transcripts" in " ".join(out.split()), err
    code, out, err = cli("segments", "-w", ws)
    assert code == 0, err
    flat = " ".join(out.replace("│", " ").split())
    assert "We waited [inaudible] for [id1] and the [b]board[/b]." in flat
    assert "Then [/b] [/] [bold red]nothing[/] came." in flat


def test_a_command_module_that_fails_to_import_fails_loudly():
    """A broken command module stops the CLI with its ImportError; it never just vanishes from --help."""
    import subprocess

    probe = "import sys; sys.modules['lccode.cli.train'] = None; import lccode.cli"  # None: its import raises
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "lccode.cli.train" in proc.stderr, proc.stderr


def test_a_damaged_workspace_database_is_one_clear_message(tmp_path, cli):
    ws = tmp_path / "ws"  # a workspace whose database was overwritten (no connection to it is open)
    ws.mkdir()
    (ws / "lccode.sqlite").write_bytes(b"this is not a database " * 50)
    src = tmp_path / "t.txt"
    src.write_text("R: We leerden veel van elkaar.\n", encoding="utf-8")
    code, _, err = cli("add", "-w", ws, src)
    assert code == 2 and "Traceback" not in err
    flat = " ".join(err.split())
    assert "lccode.sqlite: the workspace database cannot be opened (file is not a database)" in flat
    assert "fix: restore lccode.sqlite from a backup" in flat


@pytest.mark.parametrize("args", [("add", "-w", "{ws}", "{long}.txt"), ("import", "refi", "-w", "{ws}", "{long}.qdpx"),
                                  ("codebook", "validate", "{long}.yaml"), ("codebook", "import", "{long}.qdc"),
                                  ("review", "import", "-w", "{ws}", "{long}.csv"), ("init", "{ws}2", "-c", "{long}.yaml")])
def test_a_file_name_too_long_for_the_file_system(tmp_path, cli, args):
    """A name over 255 bytes makes the file system raise instead of answering 'not found'."""
    ws = tmp_path / "ws"
    assert cli("init", ws)[0] == 0
    long = str(tmp_path / ("a" * 300))
    code, _, err = cli(*[a.format(ws=ws, long=long) for a in args])
    assert code == 2 and "Traceback" not in err, err
    assert "aaaa" in err and "fix:" in err and "too long" in err.lower()
    assert not (tmp_path / "ws2").exists()
