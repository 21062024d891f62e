from __future__ import annotations

from pathlib import Path

import typer

from lccode.paths import DEFAULT_MODEL_NAME


def register(app: typer.Typer):
    @app.command("sample")
    def sample_cmd(
        workspace: Path = typer.Option(Path("lc-sample"), "--workspace", "-w", help="Workspace folder to (re)use."),
        corpus: Path = typer.Option(None, help="Transcripts folder with a manifest (default: the bundled corpus_sample/)."),
        model: Path = typer.Option(None, help=f"Model folder (default: models/{DEFAULT_MODEL_NAME}; trained if missing)."),
        device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N"),
        exports: bool = typer.Option(True, help="Write the HTML report, XLSX and REFI-QDA exports."),
    ):
        """The whole job on the bundled sample: provision, train if needed, ingest, code, summarise, export."""
        from lccode.cli._util import TrainingProgress, console, progress_bar
        from lccode.errors import InputError
        from lccode.paths import sample_corpus
        from lccode.pipeline import run_sample

        corpus = corpus or sample_corpus()
        if corpus is None:
            raise InputError("no sample corpus here", expected="an lccode checkout with corpus_sample/",
                             fix="pass --corpus FOLDER with your transcripts and a manifest.csv")
        view = _SampleView(console(), progress_bar, TrainingProgress)
        try:
            run_sample(workspace, corpus, model, device, exports, events=view.event, progress=view.progress)
        finally:
            view.close()


class _SampleView:
    """Renders the main job's events: a heading per step, tables, progress bars."""

    def __init__(self, console, progress_bar, training_progress):
        self.c, self.progress_bar, self.training_progress = console, progress_bar, training_progress
        self.bar = self.task = self.train = None

    def event(self, kind: str, **i):
        from lccode.cli._util import plural

        c = self.c
        if kind == "base_model":
            c.rule("1. Base model")
            c.print(f"Offline base model: {i['path']}")
            c.rule("2. Classifier")
        elif kind == "model_found":
            c.print(f"Using the model in {i['path']} (model card: {i['path'] / 'README.md'}).")
        elif kind == "training":
            c.print("No trained model yet: fine-tuning on the bundled labelled data (about 25 minutes on 2 CPU cores).")
        elif kind == "trained":
            self._close_train()
            m, d = i["meta"], i["meta"]["dev_metrics"]
            c.print(f"Trained {m['model_id']} in {m['train_seconds']:.0f} s: dev micro-F1 {d['micro_f1']:.3f}, "
                    f"macro-F1 {d['macro_f1']:.3f}")
        elif kind == "added":
            c.rule("3. Transcripts")
            for r in i["results"]:
                c.print(f"  {r.status:9} {r.transcript_id}" + (f" ({plural(r.n_segments, 'segment')})" if r.n_segments else ""))
            st = i["status"]
            c.print(f"{st['transcripts']} transcripts, {st['segments']} segments. A preview:")
            _preview(c, i["preview"])
        elif kind == "coding":
            c.rule("4. Coding")
            self.bar, self.task = self.progress_bar("Coding segments", i["total"])
            self.bar.start()
        elif kind == "coded":
            self._close_bar()
            s = i["stats"]
            if s["segments"]:
                c.print(f"Coded {s['segments']} segments on {s['device']}: {s['segments_per_s']} segments/s.")
            else:
                c.print("All segments were already coded by this model.")
            from lccode.cli.summary import print_code_summary

            print_code_summary(i["ws"])
        elif kind == "exported":
            c.rule("5. Exports")
            for name, path in i["written"].items():
                c.print(f"  {name:7} {path}")
        elif kind == "done":
            c.print(f"\nNext: review the uncertain segments with  lccode review serve -w {i['workspace']}")

    def progress(self, kind: str, **i):
        if kind == "code" and self.bar is not None:
            self.bar.advance(self.task, i["n"])
        elif kind == "train":
            if self.train is None:
                self.train = self.training_progress()
            self.train.update(i.pop("step_kind"), **i)

    def _close_bar(self):
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def _close_train(self):
        if self.train is not None:
            self.train.close()
            self.train = None

    def close(self):
        self._close_bar()
        self._close_train()


def _preview(console, segs):
    from rich.table import Table
    from rich.text import Text

    t = Table(show_header=True, header_style="bold")
    for col in ("transcript", "chars", "speaker", "lang", "text"):
        t.add_column(col, overflow="fold")
    for s in segs:
        # Transcript text is never markup: "[inaudible]" or "[id1]" must show as written.
        t.add_row(Text(s.transcript_id), f"{s.start_char}-{s.end_char}", Text(f"{s.speaker or ''} ({s.role or '-'})"),
                  s.lang or "", Text(s.text))
    console.print(t)
