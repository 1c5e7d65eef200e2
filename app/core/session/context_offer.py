"""The choices a reload offers, read on the engine thread: the setup now and the sizes the profile lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.config.profiles import ContextProfile
from app.core.session.reload import ContextSetup, current_setup


@dataclass(frozen=True)
class ContextOffer:
    """What the dialog offers, read on the engine thread: the setup now and the profile's sizes."""

    setup: ContextSetup
    sizes: tuple[ContextProfile, ...]  # the profile's sizes up to the training context
    n_ctx_train: int
    profile_id: str
    profile_matched: bool
    strategy: str  # the compression strategy used when the conversation does not fit
    kv_shape: tuple[int, int, int, int]  # n_layer, n_head_kv, head_dim_k, head_dim_v


def context_offer(session: Any) -> ContextOffer:
    """Runs in the engine thread: the setup now and the sizes the model's profile lists."""
    info = session.engine.info
    profile, matched = session.book.match(info.name, info.basename, info.architecture)
    limit = info.n_ctx_train or 0
    sizes = tuple(p for p in profile.context_profiles if not limit or p.size <= limit)
    return ContextOffer(
        setup=current_setup(session), sizes=sizes, n_ctx_train=info.n_ctx_train, profile_id=profile.id,
        profile_matched=matched, strategy=session.settings.compress_strategy,
        kv_shape=(info.n_layer, info.n_head_kv, info.head_dim_k, info.head_dim_v),
    )
