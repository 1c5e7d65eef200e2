"""The one llama.cpp sampler chain built for each turn from its SamplingParams."""

from __future__ import annotations

from app.core.engine.sampling import SamplingParams

DEFAULT_SEED = 0xFFFFFFFF  # llama.cpp's "pick a random seed"


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


def greedy_alone(params: SamplingParams) -> bool:
    """Whether `build_sampler(params)` is llama.cpp's greedy sampler and nothing else."""
    return params.greedy and params.repeat_penalty == 1.0
