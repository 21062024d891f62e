from __future__ import annotations

from pathlib import Path

import typer

from lccode.paths import DEFAULT_MODEL_NAME


def register(app: typer.Typer):
    @app.command("evaluate")
    def evaluate_cmd(
        gold: Path = typer.Argument(None, help="Gold: a segment JSONL (text, codes, optional lang) or whole coded transcripts (.jsonl/.json/folder; see training_data/README.md)."),
        model: Path = typer.Option(None, "--model", "-m", help=f"Trained model folder (default: models/{DEFAULT_MODEL_NAME})."),
        report: Path = typer.Option(None, "--json", help="Write the full report as JSON here."),
        device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N"),
        workspace: Path = typer.Option(None, "--workspace", "-w", help="Use this workspace's human decisions as gold "
                                       "(reviews, imported sheets or a coded REFI-QDA project) instead of a file."),
        complete: bool = typer.Option(False, "--complete", help="With --workspace: transcripts with decisions were "
                                      "coded in full, so their undecided segments count as 'no code'."),
    ):
        """Per-code precision/recall/F1, kappa, Krippendorff's alpha, per language, and error capture by uncertainty."""
        import json

        from lccode.atomic import check_file_target
        from lccode.cli._util import console, table
        from lccode.errors import LccodeError
        from lccode.model.device import check_device
        from lccode.model.evaluate import evaluate
        from lccode.paths import default_model_dir

        if (gold is None) == (workspace is None):
            raise LccodeError("give either a gold file or --workspace", expected="lccode evaluate GOLD, or lccode "
                              "evaluate --workspace WS", fix="name one source of gold codes")
        check_device(device)
        if report:
            check_file_target(report)
        if workspace is not None:
            from lccode.model.evaluate import evaluate_workspace

            rep = evaluate_workspace(workspace, model or default_model_dir(), complete, device)
            gold = workspace
        else:
            rep = evaluate(gold, model or default_model_dir(), device)
        rows = [[c, f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}", f"{m['kappa']:.2f}", m["support"]]
                for c, m in rep["per_code"].items()]
        table(f"{gold} ({rep['n']} segments) vs {rep['provenance']['model_id']}",
              ["code", "precision", "recall", "F1", "kappa", "support"], rows)
        if "turns" in rep:
            t = rep["turns"]
            rows = [[c, f"{m['precision']:.2f}", f"{m['recall']:.2f}", f"{m['f1']:.2f}", f"{m['kappa']:.2f}", m["support"]]
                    for c, m in t["per_code"].items()]
            table(f"Per speaker turn: {t['n']} turns in {rep['transcripts']} transcripts (a turn carries the codes of its segments)",
                  ["code", "precision", "recall", "F1", "kappa", "support"], rows)
        lines = [f"Segments: micro-F1 {rep['micro_f1']:.3f}  macro-F1 {rep['macro_f1']:.3f}  mean kappa {rep['mean_kappa']:.3f}  "
                 f"Krippendorff's alpha {rep['krippendorff_alpha']:.3f}"]
        for lang, m in rep["per_language"].items():
            lines.append(f"  {lang}: n={m['n']} micro-F1 {m['micro_f1']:.3f} macro-F1 {m['macro_f1']:.3f} "
                         f"kappa {m['mean_kappa']:.3f} alpha {m['krippendorff_alpha']:.3f}")
        if "turns" in rep:
            t = rep["turns"]
            lines.append(f"Turns: micro-F1 {t['micro_f1']:.3f}  macro-F1 {t['macro_f1']:.3f}  mean kappa {t['mean_kappa']:.3f}  "
                         f"(precision {t['micro_precision']:.3f}, recall {t['micro_recall']:.3f})")
            for lang, m in t["per_language"].items():
                lines.append(f"  {lang}: n={m['n']} micro-F1 {m['micro_f1']:.3f} macro-F1 {m['macro_f1']:.3f} kappa {m['mean_kappa']:.3f}")
        if rep["unreliable"]:
            lines.append(f"Not yet reliable (kappa < {rep['reliable_kappa']}): {', '.join(rep['unreliable'])}: "
                         "report their counts only after review.")
        ec = rep["error_capture"]
        lines.append(f"Errors found when reviewing the most probably wrong segments first ({ec['errors']} segments with an error):")
        lines.append("  " + "  ".join(f"top {k}: {v:.0%} (random {ec['random'][k]:.0%}, {ec['share_of_oracle'][k]:.0%} of a perfect ranking)"
                                      for k, v in ec["by_uncertainty"].items()))
        for line in lines:
            console().print(line)
        if report:
            from lccode.atomic import write_text_atomic

            write_text_atomic(report, json.dumps(rep, indent=2, ensure_ascii=False))
            console().print(f"Report written to {report}")
