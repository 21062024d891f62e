from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import typer

from lccode.model.training_args import TrainConfig
from lccode.paths import DEFAULT_MODEL_NAME

# TrainConfig owns the training options' defaults; the command shows and passes the same ones.
_DEFAULT = {f.name: f.default for f in fields(TrainConfig)}


def register(app: typer.Typer):
    @app.command("train")
    def train_cmd(
        data: list[Path] = typer.Option(None, "--data", "-d", help="Labelled data: segment JSONL files or coded transcripts (.jsonl/.json/folder) (default: the bundled training_data/train.jsonl + transcripts/train)."),
        dev: Path = typer.Option(None, help="Dev data (segment JSONL or coded transcripts) for early stopping, calibration and thresholds (default: training_data/dev.jsonl + transcripts/dev, else a 20% split)."),
        from_workspace: Path = typer.Option(None, "--from-workspace", help="Also train on this workspace's reviewed segments."),
        output: Path = typer.Option(None, "--output", "-o", help=f"Model folder (default: models/{DEFAULT_MODEL_NAME})."),
        codebook: Path = typer.Option(None, help="Codebook (default: the workspace's, else the bundled one)."),
        base_model: str = typer.Option(None, help="Hugging Face id or folder of the encoder (default: offline multilingual-e5-small)."),
        epochs: int = typer.Option(_DEFAULT["epochs"]), batch_size: int = typer.Option(_DEFAULT["batch_size"]),
        learning_rate: float = typer.Option(_DEFAULT["learning_rate"]),
        trainable_layers: int = typer.Option(None, help="Top encoder layers to fine-tune (default: 4 on CPU, all on GPU)."),
        device: str = typer.Option(_DEFAULT["device"], help="auto | cpu | cuda | cuda:N"),
        seed: int = typer.Option(_DEFAULT["seed"]),
        members: int = typer.Option(_DEFAULT["members"], help="Independently seeded runs averaged into one model (each adds a run's training time)."),
        name: str = typer.Option(_DEFAULT["name"], help="Model name recorded in its card."),
        context: bool = typer.Option(_DEFAULT["context"], "--context/--no-context",
                                     help="Read each segment with its turn, neighbours, previous turn and speaker role."),
    ):
        """Fine-tune the multilingual classifier on labelled segments (and reviewed workspace segments)."""
        from lccode.cli._util import TrainingProgress, at_least, console
        from lccode.model.device import check_device
        from lccode.model.training_run import run_training

        check_device(device)
        at_least(seed, 0, "--seed")  # numpy's generators take no negative seed; it would fail after the data is read
        cfg = TrainConfig(base_model=base_model, name=name, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                          trainable_layers=trainable_layers, device=device, seed=seed, members=members, context=context)
        bar = TrainingProgress()
        try:
            meta = run_training(cfg, data, dev, from_workspace, output, codebook, progress=bar.update)
        finally:
            bar.close()
        d = meta["dev_metrics"]
        console().print(f"Saved {meta['model_id']} to {meta['path']} in {meta['train_seconds']:.0f} s on {meta['device']}.")
        console().print(f"Dev: micro-F1 {d['micro_f1']:.3f}, macro-F1 {d['macro_f1']:.3f}, mean kappa {d['mean_kappa']:.3f}"
                        + "".join(f"; {lang}: micro-F1 {m['micro_f1']:.3f}, macro-F1 {m['macro_f1']:.3f}, kappa {m['mean_kappa']:.3f}"
                                  for lang, m in d.get("per_language", {}).items()))
