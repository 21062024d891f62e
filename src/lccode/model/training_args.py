"""Training options, validated when they are made."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from lccode.paths import DEFAULT_MODEL_NAME


@dataclass
class TrainConfig:
    base_model: str | None = None          # HF id or folder; None = the provisioned multilingual-e5-small
    name: str = DEFAULT_MODEL_NAME
    epochs: int = 7
    batch_size: int = 16
    learning_rate: float = 1e-4
    head_learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_length: int = 128
    dropout: float = 0.1
    patience: int = 3
    freeze_word_embeddings: bool | None = None  # None = frozen on the CPU, trained on a GPU
    # Top encoder layers to fine-tune; the rest are frozen and their outputs cached once.
    # None = 4 on the CPU (an epoch then costs about a third of full fine-tuning), all on a GPU.
    trainable_layers: int | None = None
    class_weighting: bool = True
    dev_fraction: float = 0.2
    seed: int = 13
    device: str = "auto"
    precision: str = "auto"
    input_prefix: str = "query: "
    # Read each segment with its neighbours, the previous turn and the speaker's role (lccode.model.context).
    context: bool = True
    context_turns: int = 4       # turns per training window (plus the turn before it, as context)
    role_dropout: float = 0.15   # share of training rows whose speaker role is hidden
    # Weight of a per-turn loss on each turn's highest segment logit per code (a turn carries a code when any
    # of its segments does; see trainer._turn_loss); 0 trains on segment labels only.
    turn_loss: float = 0.5
    # Loss weight of a stand-alone excerpt against a transcript segment's 1: whole transcripts are most of the
    # training rows, and without it the excerpt figures drop as transcripts are added.
    excerpt_weight: float = 1.0
    # Independently seeded runs (seed, seed+1, ...) whose logits are averaged (lccode.model.ensemble); each adds a
    # run's training time and about a third of one model's coding time.
    members: int = 1
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        problems = []
        if self.epochs < 1:
            problems.append(f"epochs must be at least 1 (got {self.epochs})")
        if not 1 <= self.batch_size <= 1024:
            problems.append(f"batch_size must be between 1 and 1024 (got {self.batch_size})")
        if not 0 < self.learning_rate < 1 or not 0 < self.head_learning_rate < 1:
            problems.append("learning rates must be between 0 and 1, e.g. 5e-5")
        if not 0 <= self.warmup_ratio < 1:
            problems.append(f"warmup_ratio must be in [0, 1) (got {self.warmup_ratio})")
        if not 8 <= self.max_length <= 512:
            problems.append(f"max_length must be between 8 and 512 tokens (got {self.max_length})")
        if not 0 < self.dev_fraction < 0.5:
            problems.append(f"dev_fraction must be between 0 and 0.5 (got {self.dev_fraction})")
        if self.trainable_layers is not None and self.trainable_layers < 0:
            problems.append("trainable_layers must be >= 0 (0 trains only the head)")
        if self.context_turns < 1:
            problems.append("context_turns must be at least 1")
        if not 0 <= self.role_dropout < 1:
            problems.append(f"role_dropout must be in [0, 1) (got {self.role_dropout})")
        if not 0 <= self.turn_loss <= 10:
            problems.append(f"turn_loss must be between 0 and 10 (got {self.turn_loss})")
        if not 0 < self.excerpt_weight <= 10:
            problems.append(f"excerpt_weight must be above 0 and at most 10 (got {self.excerpt_weight})")
        if not 1 <= self.members <= 8:
            problems.append(f"members must be between 1 and 8 (got {self.members})")
        if self.patience < 1:
            problems.append("patience must be at least 1 epoch")
        if problems:
            from lccode.errors import LccodeError

            raise LccodeError("; ".join(problems), fix="change the training options")

    def to_dict(self) -> dict:
        return asdict(self)
