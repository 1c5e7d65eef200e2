"""Sampling settings and the one llama.cpp sampler chain built for each turn."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from app.core.errors import UsageError

DEFAULT_SEED = 0xFFFFFFFF  # llama.cpp's "pick a random seed"


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
        if self.temperature < 0:
            raise UsageError(f"temperature must be >= 0, got {self.temperature}")
        if self.max_tokens < 1:
            raise UsageError(f"max tokens must be a positive integer, got {self.max_tokens}")
        if not 0 < self.top_p <= 1 or not 0 <= self.min_p <= 1:
            raise UsageError("top_p must be in (0, 1] and min_p in [0, 1]")
        if self.top_k < 0 or self.repeat_penalty <= 0:
            raise UsageError("top_k must be >= 0 and repeat_penalty > 0")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def to_dict(self) -> dict:
        return asdict(self)


def build_sampler(params: SamplingParams, n_vocab: int):
    """A fresh `LlamaSampler` chain; keep it for the whole turn."""
    from llama_cpp._internals import LlamaSampler

    sampler = LlamaSampler()
    if params.repeat_penalty != 1.0:
        sampler.add_penalties(n_vocab, params.penalty_last_n, params.repeat_penalty, 0.0, 0.0)
    if params.greedy:
        sampler.add_greedy()
        return sampler
    sampler.add_top_k(params.top_k)
    sampler.add_top_p(params.top_p, 1)
    sampler.add_min_p(params.min_p, 1)
    sampler.add_temp(params.temperature)
    sampler.add_dist(DEFAULT_SEED if params.seed is None else params.seed & 0xFFFFFFFF)
    return sampler
