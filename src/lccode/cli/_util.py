"""Shared CLI plumbing: error reporting, logging, options, tables."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer

WorkspaceOpt = typer.Option(Path("lc-workspace"), "--workspace", "-w", help="Workspace folder.", envvar="LCCODE_WORKSPACE")


def console(stderr: bool = False):
    from rich.console import Console

    # What lccode prints holds user data (paths, transcript text, labels like "[id1]", a stray "[/b]"): never read
    # as rich markup, which would hide it or fail on it. Styled parts are built as rich Text instead.
    return Console(stderr=stderr, highlight=False, markup=False)


def setup_logging(verbose: bool = False):
    # Segment text is personal data: library code logs it at DEBUG at most, and INFO is the default.
    level = logging.DEBUG if verbose else logging.INFO
    try:
        from rich.logging import RichHandler

        handler = RichHandler(console=console(stderr=True), show_time=False, show_path=False)
        logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    except ImportError:  # pragma: no cover
        logging.basicConfig(level=level, stream=sys.stderr, force=True)
    for noisy in ("httpx", "urllib3", "filelock", "datasets", "transformers", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def open_workspace(path: Path):
    from lccode.workspace import Workspace

    return Workspace.open(path)


def progress_bar(description: str, total: int | None):
    """A rich progress bar on stderr; silent when not attached to a terminal-friendly console."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    prog = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=console(stderr=True), transient=False)
    task = prog.add_task(description, total=total)
    return prog, task


def table(title: str, columns: list[str], rows: list[list]):
    from rich.table import Table
    from rich.text import Text

    # Cells hold user data (transcript text, file names, labels like "[id1]"): never rich markup.
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*[x if isinstance(x, Text) else Text(str(x)) for x in r])
    console().print(t)


def at_least(value: int | None, minimum: int, option: str):
    """A count option checked before any work, so a typo does not wait for a model to load; None is 'not given'."""
    if value is not None and value < minimum:
        from lccode.errors import InputError

        raise InputError(f"{option} must be {minimum} or more, not {value}", field=option,
                         expected=f"a whole number >= {minimum}", fix=f"give {option} a number of at least {minimum}")


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 segment', '2 segments'."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


class TrainingProgress:
    """Renders the trainer's progress callbacks ("start" with the step count, then "step" per optimiser step)."""

    def __init__(self):
        self.prog = self.task = None
        self.member = ""

    def update(self, kind: str, **info):
        if kind == "member":  # an ensemble's members are trained one after another, each with its own bar
            self.close()
            self.member = f" member {info['index']} of {info['of']}"
        elif kind == "start":
            self.close()
            self.prog, self.task = progress_bar(f"Training{self.member}", info["steps"])
            self.prog.start()
        elif kind == "step" and self.prog is not None:
            self.prog.update(self.task, advance=1,
                             description=f"Training{self.member} (epoch {info['epoch']}, loss {info['loss']:.3f})")

    def close(self):
        if self.prog is not None:
            self.prog.stop()
            self.prog = None
