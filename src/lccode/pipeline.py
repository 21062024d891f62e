"""The main job end to end (`lccode sample`): each step is the same library call its own command makes."""

from __future__ import annotations

from pathlib import Path


def run_sample(workspace: Path, corpus: Path, model: Path | None, device: str, exports: bool, console) -> dict:
    from lccode.cli._util import plural, progress_bar
    from lccode.cli.summary import print_code_summary
    from lccode.modeling import META_FILE
    from lccode.predict import code_workspace, pending_count
    from lccode.provision import default_base_dir, provision
    from lccode.training_args import TrainConfig
    from lccode.training_run import default_model_dir, run_training
    from lccode.workspace import DB_NAME, Workspace
    from lccode.workspace.add import add_paths

    console.rule("1. Base model")
    console.print(f"Offline base model: {provision(default_base_dir())}")
    model = Path(model) if model else default_model_dir()
    console.rule("2. Classifier")
    if (model / META_FILE).is_file():
        console.print(f"Using the trained model in {model} (delete it to retrain).")
    else:
        console.print("No trained model yet: fine-tuning on the bundled labelled data (about 5-10 minutes on 2 CPU cores).")
        meta = run_training(TrainConfig(device=device), output=model, show_progress=True)
        d = meta["dev_metrics"]
        console.print(f"Trained {meta['model_id']} in {meta['train_seconds']:.0f} s: dev micro-F1 {d['micro_f1']:.3f}, "
                      f"macro-F1 {d['macro_f1']:.3f}")
    console.rule("3. Transcripts")
    ws = Workspace.open(workspace) if (workspace / DB_NAME).is_file() else Workspace.create(workspace)
    results = add_paths(ws, [corpus])
    for r in results:
        console.print(f"  {r.status:9} {r.transcript_id}" + (f" ({plural(r.n_segments, 'segment')})" if r.n_segments else ""))
    st = ws.status()
    console.print(f"{st['transcripts']} transcripts, {st['segments']} segments. A preview:")
    _preview(ws, console)
    console.rule("4. Coding")
    prog, task = progress_bar("Coding segments", pending_count(ws, model))
    with prog:
        stats = code_workspace(ws, model, device, progress=lambda n: prog.advance(task, n))
    if stats["segments"]:
        console.print(f"Coded {stats['segments']} segments on {stats['device']}: {stats['segments_per_s']} segments/s.")
    else:
        console.print("All segments were already coded by this model.")
    print_code_summary(ws)
    written = {}
    if exports:
        console.rule("5. Exports")
        written = _exports(ws, workspace / "exports", console)
    console.print(f"\nNext: review the uncertain segments with  lccode review serve -w {workspace}")
    return {"coding": stats, "exports": written}


def _preview(ws, console, n: int = 6):
    from rich.table import Table
    from rich.text import Text

    segs = ws.segments()[:n]
    t = Table(show_header=True, header_style="bold")
    for col in ("transcript", "chars", "speaker", "lang", "text"):
        t.add_column(col, overflow="fold")
    for s in segs:
        # Transcript text is never markup: "[inaudible]" or "[id1]" must show as written.
        t.add_row(Text(s.transcript_id), f"{s.start_char}-{s.end_char}", Text(f"{s.speaker or ''} ({s.role or '-'})"),
                  s.lang or "", Text(s.text))
    console.print(t)


def _exports(ws, folder: Path, console) -> dict:
    from lccode.aggregate import load_corpus
    from lccode.export import refi, report, tables
    from lccode.export._common import export_name

    corpus = load_corpus(ws)  # read once, used by all three exports
    written = {
        "report": report.write_report(ws, folder / export_name("report"), corpus=corpus),
        "xlsx": tables.write_xlsx(ws, folder / export_name("xlsx"), corpus=corpus),
        "refi": refi.write_qdpx(ws, folder / export_name("refi"), corpus=corpus),
    }
    for kind, path in written.items():
        console.print(f"  {kind:7} {path}")
    return written
