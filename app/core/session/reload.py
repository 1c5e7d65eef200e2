"""Retune a running session: a new n_ctx, KV cache type or flash attention, the conversation kept."""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.core.compression.policy import MIN_REPLY_TOKENS, reply_reserve
from app.core.compression.strategies import CompressionPlan
from app.core.config.profiles import resolve_context
from app.core.engine.load_options import CTX_ALIGN, LoadOptions, aligned_n_ctx
from app.core.errors import UsageError
from app.core.events import Notice


@dataclass(frozen=True)
class ContextSetup:
    """What the sidebar compares before and after a reload."""

    n_ctx: int
    type_k: str
    type_v: str
    flash_attn: bool
    kv_bytes: int
    rss_bytes: int
    effective: int
    tier: int
    tier_name: str
    size_label: str


@dataclass(frozen=True)
class ReloadOutcome:
    """The setup before and after a live reload, and what re-reading the conversation cost."""

    before: ContextSetup
    after: ContextSetup
    reevaluated: int
    seconds: float


def refuse_on_server(session, feature: str) -> None:
    """A UsageError naming why a server cannot do `feature`, where the engine cannot change n_ctx."""
    if not session.engine.capabilities.can_change_n_ctx:
        why = dict(session.engine.backend.unavailable).get(feature, "this engine cannot load the model again")
        raise UsageError(f"{feature} is not available for a server: {why}")


def current_setup(session) -> ContextSetup:
    usage = session.usage.snapshot()
    s = session.settings
    return ContextSetup(
        n_ctx=session.engine.n_ctx, type_k=s.type_k, type_v=s.type_v, flash_attn=s.flash_attn,
        kv_bytes=session.kv.allocated_bytes, rss_bytes=session.memory.sample_now().rss_bytes,
        effective=usage.effective, tier=usage.tier, tier_name=usage.tier_name, size_label=usage.size_label,
    )


def _options(session, n_ctx, type_k, type_v, flash_attn) -> LoadOptions:
    """Validate the request before anything is unloaded (bad sizes and types are refused here)."""
    refuse_on_server(session, "n_ctx reload")
    if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx <= 0:
        raise UsageError(f"n_ctx must be a positive integer, got {n_ctx!r}")
    if n_ctx < CTX_ALIGN:
        raise UsageError(f"n_ctx {n_ctx} is too small: use at least {CTX_ALIGN}")
    return LoadOptions.from_settings(session.settings, session.model_path, n_ctx,
                                     type_k=type_k, type_v=type_v, flash_attn=flash_attn)


def preview_reload(session, n_ctx: int, type_k: str | None = None, type_v: str | None = None,
                   flash_attn: bool | None = None, strategy: str | None = None) -> CompressionPlan | None:
    """None when the history fits the new size as it is; else the compression that would make it fit."""
    s = session.settings
    options = _options(session, n_ctx, type_k or s.type_k, type_v or s.type_v,
                       s.flash_attn if flash_attn is None else flash_attn)
    size = aligned_n_ctx(options.n_ctx)
    used = len(session.engine.prompt_ids(session.conversation.as_chat()))
    reserve = reply_reserve(s.reply_reserve, size)
    if used + reserve <= size:
        return None
    profile, _ = session.book.match(session.engine.info.name, session.engine.info.basename,
                                    session.engine.info.architecture)
    effective = resolve_context(session.book, profile, size).effective_context_size
    target = min(int(effective * s.compress_target / 100), size - reserve)
    return session.preview_compression(strategy or s.compress_strategy, target=target)


def reload(session, n_ctx: int, type_k: str | None = None, type_v: str | None = None,
           flash_attn: bool | None = None, plan: CompressionPlan | None = None) -> ReloadOutcome:
    """Load the model again with the new settings and re-evaluate the (compressed) conversation."""
    s = session.settings
    options = _options(session, n_ctx, type_k or s.type_k, type_v or s.type_v,
                       s.flash_attn if flash_attn is None else flash_attn)
    before = current_setup(session)
    if plan is not None and plan.changed:
        session.apply_compression(plan, reason="reload", sync=False)
    old_settings = s
    session.settings = replace(s, n_ctx=options.n_ctx, type_k=options.type_k, type_v=options.type_v,
                               flash_attn=options.flash_attn)
    try:
        session.load(options.n_ctx)
    except Exception:
        session.settings = old_settings
        session.load(old_settings.n_ctx if isinstance(old_settings.n_ctx, int) else before.n_ctx)
        session.resync()
        raise
    used = len(session.engine.prompt_ids(session.conversation.as_chat()))
    if used + min(session.reserve, MIN_REPLY_TOKENS) > session.engine.n_ctx:
        session.sink(Notice(f"the conversation needs {used} tokens, more than n_ctx {session.engine.n_ctx}: "
                            "compress it before the next message", "warning"))
        sync = None
    else:
        sync = session.resync()
    after = current_setup(session)
    return ReloadOutcome(before, after, sync.evaluated if sync else 0, sync.seconds if sync else 0.0)
