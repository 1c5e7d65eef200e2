"""What an engine can do, so the UI shows "not available" for a missing feature instead of faking it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineCapabilities:
    can_save_state: bool  # save the KV state to bytes and load it back (snapshots without re-evaluation)
    can_shift_cache: bool  # drop tokens from the middle of the cache and move the rest down
    counts_tokens_locally: bool  # tokenize in this process, with no round trip per count
    can_change_n_ctx: bool  # load again with another context size (reload, sweep)


@dataclass(frozen=True)
class BackendInfo:
    """Where the model runs, and what that backend cannot show, each with the reason."""

    kind: str  # "llama.cpp in process", "llama-server", "openai-compatible"
    where: str  # the model file, or the server's URL
    exact_counts: bool = True  # token counts come from the model's own template and tokenizer
    unavailable: tuple[tuple[str, str], ...] = ()  # (feature, why) pairs

    @property
    def remote(self) -> bool:
        return self.where.startswith(("http://", "https://"))
