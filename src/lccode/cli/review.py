"""`lccode review ...`: the queue, the review web page, the spreadsheet path and the agreement figures."""

from __future__ import annotations

from pathlib import Path

import typer

from lccode.cli._util import WorkspaceOpt

review_app = typer.Typer(help="Review the segments where the model most probably erred: in the browser or a spreadsheet.",
                         no_args_is_help=True)

AnalystOpt = typer.Option(None, "--analyst", "-a", envvar="LCCODE_ANALYST",
                          help="Your name: your own decided segments leave your queue.")
CommunityOpt = typer.Option(None, help="Only this community.")
TranscriptOpt = typer.Option(None, help="Only this transcript id.")
CodeOpt = typer.Option(None, help="Only segments about this code (proposed, or the code most likely wrong).")
LanguageOpt = typer.Option(None, help="Only this language (nl | en).")
LevelOpt = typer.Option(None, help="Only this level (ecosystem | fieldlab | micro).")
IncludeOpt = typer.Option(False, "--include-decided", help="Also list segments you have already decided.")
SkipOthersOpt = typer.Option(False, "--skip-reviewed-by-others", help="Leave out segments another analyst decided.")


def _filters(community, transcript, code, language, level) -> dict:
    return {"community": community, "transcript": transcript, "code": code, "language": language, "level": level}


@review_app.command("queue")
def queue_cmd(workspace: Path = WorkspaceOpt, analyst: str = AnalystOpt, community: str = CommunityOpt,
              transcript: str = TranscriptOpt, code: str = CodeOpt, language: str = LanguageOpt, level: str = LevelOpt,
              include_decided: bool = IncludeOpt, skip_others: bool = SkipOthersOpt,
              limit: int = typer.Option(20, help="How many to list.")):
    """List the segments where the model most probably erred, most doubtful first."""
    from lccode.cli._util import at_least, console, open_workspace, table
    from lccode.review.queue import clean_filters, review_queue

    at_least(limit, 1, "--limit")
    ws = open_workspace(workspace)
    filters = clean_filters(ws, _filters(community, transcript, code, language, level))  # named before "nothing coded"
    q = review_queue(ws, analyst, filters=filters,
                     include_decided=include_decided, skip_others=skip_others, limit=limit)
    others = any(it.decided_by for it in q.items)
    rows = [[i, f"{it.transcript_id} #{it.index + 1}", it.speaker or "", f"{it.score:.0%}",
             f"{it.focus_code} {it.probs[it.focus_code]:.2f}/{q.run.thresholds[it.focus_code]:.2f}",
             ", ".join(it.proposed) or "-", *([", ".join(it.decided_by)] if others else []),
             it.text[:100] + ("…" if len(it.text) > 100 else "")] for i, it in enumerate(q.items, 1)]
    table(f"Review queue: model {q.run.model_id}, {q.decided} of {q.total} reviewed"
          + (f" by {analyst}" if analyst else ""),
          ["#", "segment", "speaker", "P(error)", "most doubtful code: p/threshold", "proposed",
           *(["reviewed by"] if others else []), "text"], rows)
    console().print("P(error): the chance that the model got a code of the segment wrong; largest first. "
                    f"Review in the browser: lccode review serve -w {workspace}")


@review_app.command("serve")
def serve_cmd(workspace: Path = WorkspaceOpt,
              port: int = typer.Option(0, help="Port on 127.0.0.1 (default: a free one).")):
    """Start the review page on this computer only (127.0.0.1) and print its link."""
    from rich.text import Text

    from lccode.cli._util import console, open_workspace
    from lccode.errors import InputError
    from lccode.review.app import serve
    from lccode.review.queue import latest_code_run

    if not 0 <= port <= 65535:
        raise InputError(f"there is no port {port}", field="--port", expected="0 (any free port) or 1 .. 65535",
                         fix="leave --port out to take a free one")
    latest_code_run(open_workspace(workspace))  # say now, not in the browser, if nothing was coded yet

    def ready(url: str):
        console().print(Text.assemble(f"Review page for {workspace}: ", (url, "bold"), "\nOpen the link in your browser (it "
                                      "works only on this computer). Decisions are saved as you make them; press "
                                      "Ctrl+C to stop."), soft_wrap=True)  # a wrapped link could not be copied

    serve(workspace, port=port, on_ready=ready)


@review_app.command("export")
def export_cmd(file: Path = typer.Argument(..., help="The spreadsheet to write: .xlsx or .csv."),
               workspace: Path = WorkspaceOpt, analyst: str = AnalystOpt, community: str = CommunityOpt,
               transcript: str = TranscriptOpt, code: str = CodeOpt, language: str = LanguageOpt,
               level: str = LevelOpt, include_decided: bool = IncludeOpt, skip_others: bool = SkipOthersOpt,
               limit: int = typer.Option(None, help="Only the N most uncertain segments."),
               overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file.")):
    """Write the review queue to a spreadsheet for analysts who prefer Excel or LibreOffice."""
    from lccode.atomic import check_file_target
    from lccode.cli._util import at_least, console, open_workspace
    from lccode.review.queue import clean_filters
    from lccode.review.sheets import export_queue

    at_least(limit, 1, "--limit")
    check_file_target(file)
    ws = open_workspace(workspace)
    filters = clean_filters(ws, _filters(community, transcript, code, language, level))
    out = export_queue(ws, file, analyst, filters, include_decided, skip_others, limit, overwrite)
    console().print(f"Wrote {out['rows']} segments, most uncertain first, to {out['path']} (model {out['model_id']}).\n"
                    "Fill in 'final_codes' and 'decision' (coded / unsure), then: "
                    f"lccode review import -w {workspace} {file}")


@review_app.command("import")
def import_cmd(file: Path = typer.Argument(..., help="A spreadsheet from 'lccode review export', filled in."),
               workspace: Path = WorkspaceOpt,
               analyst: str = typer.Option(None, "--analyst", "-a", envvar="LCCODE_ANALYST",
                                           help="Analyst for rows whose analyst column is empty."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Check the sheet; store nothing.")):
    """Read analysts' decisions back; every row is checked first and nothing is stored if any row is wrong."""
    from lccode.cli._util import console, open_workspace
    from lccode.review.sheet_import import import_sheet

    out = import_sheet(open_workspace(workspace), file, analyst, dry_run)
    verb = f"Would import {out['would_import']}" if dry_run else f"Imported {out['imported']}"
    console().print(f"{verb} decisions from {file}; {out['unchanged']} were already stored, "
                    f"{out['not_reviewed']} rows had no decision and were left out.")


@review_app.command("stats")
def stats_cmd(workspace: Path = WorkspaceOpt,
              model: str = typer.Option(None, help="Model id to compare (default: the latest coding run's)."),
              json_out: Path = typer.Option(None, "--json", help="Also write all figures to this JSON file.")):
    """Agreement of the model with analysts, between analysts, and review counts per community."""
    import json

    from lccode.atomic import check_file_target, write_text_atomic
    from lccode.cli._util import console, open_workspace, table
    from lccode.review.stats import review_stats

    if json_out:
        check_file_target(json_out)
    st = review_stats(open_workspace(workspace), model)

    def f(x):
        return "-" if x is None else f"{x:.2f}"

    console().print(f"Model {st['model_id'] or '(none)'} · codebook {st['codebook']} · lccode {st['lccode_version']}")
    table("Reviewed per community", ["community", "segments", "coded by model", "reviewed", "coded", "unsure",
                                     "double-reviewed", "disagreements"],
          [[c["community"], c["segments"], c["model_coded"], c["reviewed"], c["coded"], c["unsure"],
            c["double_reviewed"], c["disagreements"]] for c in st["communities"]])
    mva = st["model_vs_analysts"]
    if mva["n"]:
        table(f"Model vs analysts ({mva['n']} reviewed segments): micro P {f(mva['micro_precision'])}, "
              f"R {f(mva['micro_recall'])}, mean κ {f(mva['mean_kappa'])}",
              ["code", "analysts said yes", "model said yes", "precision", "recall", "κ"],
              [[c, m["support"], m["predicted"], f(m["precision"]), f(m["recall"]), f(m["kappa"])]
               for c, m in mva["per_code"].items() if m["support"] or m["predicted"]])
    else:
        console().print("Model vs analysts: no reviewed segment coded by this model yet.")
    ava = st["analyst_vs_analyst"]
    if ava["segments"]:
        table(f"Analyst vs analyst ({ava['segments']} double-reviewed segments): Krippendorff's α {f(ava['alpha'])}, "
              f"mean κ {f(ava['mean_kappa'])}", ["analysts", "segments", "κ", "same codes"],
              [[f"{p['a']} – {p['b']}", p["segments"], f(p["kappa"]), f"{p['same_codes']:.0%}"] for p in ava["pairs"]])
        table("Analyst agreement per code (codes someone used)", ["code", "times used", "α", "κ"],
              [[c, m["positives"], f(m["alpha"]), f(m["kappa"])] for c, m in ava["per_code"].items() if m["positives"]])
    else:
        console().print("Analyst vs analyst: no segment has been coded by two analysts yet.")
    if json_out:
        write_text_atomic(json_out, json.dumps(st, indent=2, ensure_ascii=False))
        console().print(f"Wrote {json_out}")


@review_app.command("retrain")
def retrain_cmd(workspace: Path = WorkspaceOpt,
                output: Path = typer.Option(None, "--output", "-o", help="Model folder (default: WS/models/quick-TIME)."),
                epochs: int = typer.Option(6, help="Passes over the decisions and the replay sample."),
                replay: int = typer.Option(1500, help="Rows of the bundled training data replayed alongside the decisions."),
                seed: int = typer.Option(13)):
    """Quick retrain: update the model's heads from your decisions in seconds, code the workspace again, re-rank."""
    from lccode.atomic import check_folder_target
    from lccode.cli._util import at_least, console, progress_bar
    from lccode.model.quick import QuickConfig
    from lccode.review.retrain import retrain_workspace

    at_least(seed, 0, "--seed")  # as for lccode train
    if output:
        check_folder_target(output)
    cfg = QuickConfig(epochs=epochs, replay=replay, seed=seed)
    prog, task = progress_bar("Quick retraining", None)
    with prog:
        def show(stage: str, done: int, total: int):
            prog.update(task, description=f"Quick retraining: {stage}", completed=done, total=total or None)

        out = retrain_workspace(workspace, cfg, output, show)
    parent = out["parent_dev_micro_f1"]
    console().print(f"Saved {out['model_id']} to {out['path']} from {out['segments_decided']} reviewed segments "
                    f"in {out['seconds']:.0f} s; coded {out['coded']} segments with it. Dev micro-F1 "
                    f"{out['dev_micro_f1']:.3f}" + (f" (was {parent:.3f})" if parent is not None else "") + ".\n"
                    f"The queue now follows the new model: lccode review serve -w {workspace}. The full retrain "
                    f"(also the encoder's top layers; about an hour per model on a 2-core CPU, minutes on a GPU): "
                    f"lccode train --from-workspace {workspace}")


def register(app: typer.Typer):
    app.add_typer(review_app, name="review")
