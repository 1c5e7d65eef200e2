"""Results of the commands that have no dataclass of their own elsewhere in core."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TranscriptWritten:
    path: Path


@dataclass(frozen=True)
class SweepDone:
    results: tuple  # app.core.sweep.run results, one per setting measured
