"""User-facing errors: what went wrong, where, what was expected, and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Problem:
    """One problem in an input file; several can be reported together."""

    message: str
    file: str | Path | None = None
    line: int | None = None
    field: str | None = None
    expected: str | None = None
    fix: str | None = None

    def render(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            if self.field:
                where += f" (field '{self.field}')"
            where += ": "
        out = where + self.message
        if self.expected:
            out += f"\n    expected: {self.expected}"
        if self.fix:
            out += f"\n    fix: {self.fix}"
        return out


class LccodeError(Exception):
    """An error caused by the user's input or setup; the CLI prints it without a traceback."""

    def __init__(self, message: str = "", *, file=None, line=None, field=None, expected=None, fix=None,
                 problems: list[Problem] | None = None):
        self.problems = problems or [Problem(message, file, line, field, expected, fix)]
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class InputError(LccodeError):
    """A transcript, manifest, codebook or data file that cannot be read as expected."""


class ModelError(LccodeError):
    """A model that is missing, incompatible or cannot be loaded."""
