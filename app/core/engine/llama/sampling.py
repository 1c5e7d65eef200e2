"""Sampling settings and the one llama.cpp sampler chain built for each turn."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from app.core.limits import check_value

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
        for name in ("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "seed", "max_tokens"):
            if getattr(self, name) is not None:
                check_value(name, getattr(self, name))

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
