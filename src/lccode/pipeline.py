"""The main job end to end (`lccode sample`): each step is the same library call its own command makes.

No printing here: each step reports through `events(kind, **info)`, and `cli/sample.py` renders them."""

from __future__ import annotations

from pathlib import Path


def _quiet(kind: str, **info) -> None:
    return None


def run_sample(workspace: Path, corpus: Path, model: Path | None, device: str = "auto", exports: bool = True,
               events=_quiet, progress=None) -> dict:
    """Provision, train if no model exists, add the corpus, code it, export. `progress(kind, **info)` receives
    "train" steps and "code" counts for progress bars."""
    from lccode.atomic import check_folder_target
    from lccode.model.coding import code_workspace, pending_count
    from lccode.model.device import check_device
    from lccode.model.provision import default_base_dir, provision
    from lccode.model.storage import META_FILE
    from lccode.model.training_args import TrainConfig
    from lccode.model.training_run import run_training
    from lccode.paths import default_model_dir
    from lccode.workspace import DB_NAME, Workspace
    from lccode.workspace.add import add_paths

    # Checked before the base model is built and a model perhaps trained, which take minutes.
    check_device(device)
    check_folder_target(workspace)
    _check_corpus(Path(corpus))
    model = check_folder_target(Path(model) if model else default_model_dir())
    progress = progress or _quiet
    events("base_model", path=provision(default_base_dir()))
    if (model / META_FILE).is_file():
        events("model_found", path=model)
    else:
        events("training", path=model)
        meta = run_training(TrainConfig(device=device), output=model,
                            progress=lambda kind, **i: progress("train", step_kind=kind, **i))
        events("trained", meta=meta)
    ws = Workspace.open(workspace) if (workspace / DB_NAME).is_file() else Workspace.create(workspace)
    results = add_paths(ws, [corpus])
    events("added", results=results, status=ws.status(), preview=ws.segments()[:6])
    events("coding", total=pending_count(ws, model))
    stats = code_workspace(ws, model, device, progress=lambda n: progress("code", n=n))
    events("coded", stats=stats, ws=ws)
    written = {}
    if exports:
        written = _exports(ws, workspace / "exports")
        events("exported", written=written)
    events("done", workspace=workspace)
    return {"coding": stats, "exports": written}


def _check_corpus(corpus: Path):
    from lccode.errors import InputError

    if not corpus.is_dir():
        raise InputError("transcripts folder not found" if not corpus.exists() else "this is a file, not a folder",
                         file=corpus, expected="a folder of transcripts, with a manifest.csv or manifest.yaml",
                         fix="pass --corpus with the folder that holds your transcripts")


def _exports(ws, folder: Path) -> dict:
    from lccode.aggregate import load_corpus
    from lccode.export import refi, report, tables
    from lccode.export._common import export_name

    corpus = load_corpus(ws)  # read once, used by all three exports
    return {
        "report": report.write_report(ws, folder / export_name("report"), corpus=corpus),
        "xlsx": tables.write_xlsx(ws, folder / export_name("xlsx"), corpus=corpus),
        "refi": refi.write_qdpx(ws, folder / export_name("refi"), corpus=corpus),
    }
