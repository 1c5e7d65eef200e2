"""How the next token is picked: temperature, top-k/top-p/min-p, repeat penalty, seed and a length cap."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from app.core.limits import check_value

if TYPE_CHECKING:
    from app.core.config.settings import Settings


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    penalty_last_n: int = 64
    seed: int | None = None
    max_tokens: int = 512

    def __post_init__(self) -> None:
        for name in ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "max_tokens"):
            if getattr(self, name) is not None:
                check_value(name, getattr(self, name))

    @classmethod
    def from_settings(cls, s: Settings) -> SamplingParams:
        return cls(
            temperature=s.temperature, top_k=s.top_k, top_p=s.top_p, min_p=s.min_p,
            repeat_penalty=s.repeat_penalty, seed=s.seed, max_tokens=s.max_tokens,
        )

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def to_dict(self) -> dict:
        return asdict(self)
