"""An installed wheel works outside the checkout: resources are package data, nothing is found via the repo."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the built wheel; its dependencies come from this environment's site-packages
    (a .pth line, so no download), while the checkout's editable hook is not loaded there."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", tmp / "dist",
                    REPO], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("lccode-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "-q", wheel], check=True,
                   capture_output=True)
    return py


def run(py: Path, *args, cwd: Path, **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LCCODE_MODELS")} | env_extra
    env["COLUMNS"] = "250"
    env["HOME"] = str(cwd)  # models would go to ~/.cache/lccode: keep them in the test's folder
    return subprocess.run([py, "-m", "lccode", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def test_wheel_runs_outside_the_checkout(installed, tmp_path):
    where = run(installed, "--version", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    probe = subprocess.run([installed, "-c", "import lccode, lccode.paths as p; print(lccode.__file__, p.checkout())"],
                           cwd=tmp_path, capture_output=True, text=True)
    assert "site-packages" in probe.stdout and probe.stdout.strip().endswith("None")
    shown = run(installed, "codebook", "show", cwd=tmp_path)
    assert shown.returncode == 0 and "sf_interdependency" in shown.stdout, shown.stderr
    assert run(installed, "init", tmp_path / "ws", cwd=tmp_path).returncode == 0
    src = tmp_path / "t.txt"
    src.write_text("Interviewer: Hoe ging het?\n\nR: We hadden geen tijd, de baas wilde er niet aan.\n", encoding="utf-8")
    added = run(installed, "add", "-w", tmp_path / "ws", src, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    status = run(installed, "status", "-w", tmp_path / "ws", cwd=tmp_path)
    assert status.returncode == 0 and "1 transcripts" in status.stdout.replace("1 transcript,", "1 transcripts,")


def test_wheel_codes_and_exports_with_a_model_folder(installed, tmp_path, base_dir):
    """init/add/code/export from the installed wheel, with the shipped model folder given; the base model comes
    from a models folder named by LCCODE_MODELS (here the one the suite provisioned, linked)."""
    models = tmp_path / "models"
    models.mkdir()
    (models / base_dir.name).symlink_to(base_dir, target_is_directory=True)
    env_extra = {"LCCODE_MODELS": str(models)}
    ws = tmp_path / "ws"
    src = REPO / "corpus_sample" / "nl_gaserop_installateur.txt"  # a whole interview: some of it carries codes
    for args in (("init", ws), ("add", "-w", ws, src), ("code", "-w", ws, "-m", REPO / "models" / "lc-default"),
                 ("export", "jsonl", "-w", ws, "-o", tmp_path / "coded.jsonl"),
                 ("export", "refi", "-w", ws, "-o", tmp_path / "project.qdpx")):
        done = run(installed, *args, cwd=tmp_path, **env_extra)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    rows = (tmp_path / "coded.jsonl").read_text(encoding="utf-8").splitlines()
    assert rows and all('"start_char"' in r and '"code_id"' in r for r in rows)
    assert (tmp_path / "project.qdpx").stat().st_size > 0 and (tmp_path / "project.qdc").is_file()
