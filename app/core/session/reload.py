"""Retune a running session: a new n_ctx, KV cache type, flash attention or model, the conversation kept."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from app.core.compression.policy import MIN_REPLY_TOKENS, reply_reserve
from app.core.compression.strategies import CompressionPlan
from app.core.config.profiles import resolve_context
from app.core.engine.gguf_file import check_gguf, read_metadata_header
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
    model: str = ""  # the model's name
    model_file: str = ""  # and its file (two files may carry one name)


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
        model=session.engine.info.name, model_file=str(session.model_path or ""),
    )


def _options(session, n_ctx, type_k, type_v, flash_attn, model_path: Path | None = None) -> LoadOptions:
    """Validate the request before anything is unloaded (bad sizes, types and model files are refused here)."""
    refuse_on_server(session, "model switch" if model_path is not None else "n_ctx reload")
    if model_path is not None:
        check_gguf(model_path)
    if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx <= 0:
        raise UsageError(f"n_ctx must be a positive integer, got {n_ctx!r}")
    if n_ctx < CTX_ALIGN:
        raise UsageError(f"n_ctx {n_ctx} is too small: use at least {CTX_ALIGN}")
    return LoadOptions.from_settings(session.settings, model_path or session.model_path, n_ctx,
                                     type_k=type_k, type_v=type_v, flash_attn=flash_attn)


def _profile_of(session, model_path: Path | None):
    """The profile of the model loaded now, or of the one at `model_path` (read from its header)."""
    if model_path is None:
        info = session.engine.info
        return session.book.match(info.name, info.basename, info.architecture)[0]
    meta = read_metadata_header(model_path)
    return session.book.match(str(meta.get("general.name", model_path.stem)), str(meta.get("general.basename", "")),
                              str(meta.get("general.architecture", "")))[0]


def preview_reload(session, n_ctx: int, type_k: str | None = None, type_v: str | None = None,
                   flash_attn: bool | None = None, strategy: str | None = None,
                   model_path: Path | None = None) -> CompressionPlan | None:
    """None when the history fits the new size as it is; else the compression that would make it fit.

    For another model the history is counted with the loaded model's tokenizer: the new one is
    not loaded yet. Should its count be larger, the reload says so and asks for a compression.
    """
    s = session.settings
    options = _options(session, n_ctx, type_k or s.type_k, type_v or s.type_v,
                       s.flash_attn if flash_attn is None else flash_attn, model_path)
    size = aligned_n_ctx(options.n_ctx)
    used = len(session.engine.prompt_ids(session.conversation.as_chat()))
    reserve = reply_reserve(s.reply_reserve, size)
    if used + reserve <= size:
        return None
    profile = _profile_of(session, model_path)
    effective = resolve_context(session.book, profile, size).effective_context_size
    target = min(int(effective * s.compress_target / 100), size - reserve)
    return session.preview_compression(strategy or s.compress_strategy, target=target)


def reload(session, n_ctx: int, type_k: str | None = None, type_v: str | None = None,
           flash_attn: bool | None = None, plan: CompressionPlan | None = None,
           model_path: Path | None = None) -> ReloadOutcome:
    """Load the model (or the one at `model_path`) again with the new settings and re-evaluate the
    (compressed) conversation. When the load fails, the model loaded before comes back."""
    s = session.settings
    options = _options(session, n_ctx, type_k or s.type_k, type_v or s.type_v,
                       s.flash_attn if flash_attn is None else flash_attn, model_path)
    before = current_setup(session)
    if plan is not None and plan.changed:
        session.apply_compression(plan, reason="reload", sync=False)
    old_settings, old_path = s, session.model_path
    session.settings = replace(s, n_ctx=options.n_ctx, type_k=options.type_k, type_v=options.type_v,
                               flash_attn=options.flash_attn)
    session.model_path = options.path
    try:
        session.load(options.n_ctx)
    except Exception:
        session.settings, session.model_path = old_settings, old_path
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
