"""Errors a user can act on: each names the file, the key path and the line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is."""

    file: str
    path: tuple[Any, ...]
    line: int | None
    message: str

    @property
    def where(self) -> str:
        loc = self.file + (f":{self.line}" if self.line else "")
        return f"{loc}: {dotted(self.path)}" if self.path else loc

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class CorridorError(Exception):
    """Bad input: the command line turns it into exit code 2 and one clean message."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", (), None, problems)]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ScenarioError(CorridorError):
    """A scenario file (or an override) that cannot be loaded."""
