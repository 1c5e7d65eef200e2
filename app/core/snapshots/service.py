"""Snapshots of a session: the conversation, its metrics and the KV state, saved and restored by name."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from app.core import events as ev
from app.core.conversations.conversation import Conversation
from app.core.errors import ModelLoadError, require_model
from app.core.snapshots.cache_match import SnapshotCache, promised_reuse, shortfall_reason, snapshot_cache
from app.core.snapshots.outcomes import SnapshotRestored, SnapshotSaved

if TYPE_CHECKING:
    from app.core.session.session import Session


class SnapshotService:
    """Runs in the engine thread, on the session it was made for."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def manifest(self, name: str) -> dict:
        session = self.session
        info = require_model(session.engine.info)
        lat = session.latency.snapshot()
        return {
            "name": name, "created": time.time(),
            "model": dict(session.engine.fingerprint(), name=info.name, **({"n_vocab": info.n_vocab} if info.n_vocab else {})),
            "n_ctx": session.engine.n_ctx,
            "cache": {"type_k": session.settings.type_k, "type_v": session.settings.type_v},
            "sampling": session.sampling().to_dict(),
            "conversation": session.conversation.state_json(),
            "metrics": {"turns": lat.session_turns, "avg_ttft_ms": lat.session_avg_ttft_ms,
                        "decode_tps": lat.session_decode_tps, "context_used": require_model(session.usage).snapshot().used,
                        "compression": session.stats.to_json()},
            "kv": {"n_tokens": session.engine.n_tokens, "token_ids": session.engine.cached_ids()},
        }

    def save(self, name: str, store=None) -> SnapshotSaved:
        """Save the conversation, with the KV state only when the cache holds the conversation's tokens."""
        from app.core.snapshots.store import SnapshotStore, check_name

        session = self.session
        store = store or SnapshotStore()
        check_name(name)
        start = time.perf_counter()
        kept = self.cache_for_snapshot()
        manifest = self.manifest(name)
        blob = None
        if kept.reason is None:
            blob = session.engine.state_bytes()
        else:
            manifest["kv"] = {"n_tokens": 0, "token_ids": [], "reason": kept.reason}
        store.save(manifest, blob)
        seconds = time.perf_counter() - start
        tokens = manifest["kv"]["n_tokens"]
        if blob is not None:
            session.sink(ev.Notice(f"saved snapshot {name}: {tokens:,} tokens, "
                                   f"{len(blob) / 1024 / 1024:.1f} MiB in {seconds:.2f} s"))
        else:
            session.sink(ev.Notice(f"saved snapshot {name} without its KV state because {kept.reason}: "
                                   "a restore re-evaluates the conversation", "warning"))
        session.sink(session.dashboard())
        return SnapshotSaved(name, tokens, len(blob or b""), seconds, blob is not None, kept.reason)

    def cache_for_snapshot(self) -> SnapshotCache:
        """What the cache holds of the conversation; cached tokens past that are dropped from it."""
        session = self.session
        if not session.engine.capabilities.can_save_state:
            return SnapshotCache(0, "this engine cannot save its KV state")
        chat = session.conversation.as_chat()
        ids = session.engine.prompt_ids(chat, add_generation_prompt=False)
        last_at = len(session.engine.prompt_ids(chat[:-1], add_generation_prompt=False)) if len(chat) > 1 else 0
        kept = snapshot_cache(session.engine.cached_ids(), ids, last_at)
        if kept.reason is None and session.engine.trim(kept.keep) < kept.keep:
            return SnapshotCache(0, "the KV cache could not drop the tokens after the conversation's")
        return kept

    def restore(self, name: str, store=None) -> SnapshotRestored:
        """Restore the conversation; load the KV state when model and n_ctx match, else re-evaluate.

        A loaded state is verified at once: the conversation is synced and must reuse every
        token the manifest promised, or the restore reports what was re-evaluated and why.
        """
        from app.core.snapshots.fingerprint import same_model
        from app.core.snapshots.store import SnapshotStore

        session = self.session
        store = store or SnapshotStore()
        manifest, blob = store.load(name)
        conversation = Conversation.from_state_json(manifest["conversation"], f"snapshot {name!r}")
        fingerprint = session.engine.fingerprint()
        reasons = []
        if blob is None:
            reasons.append(f"it was saved without a KV state ({manifest['kv']['reason']})")
        elif not session.engine.capabilities.can_save_state:
            reasons.append("this engine cannot load a KV state")
        if not same_model(manifest["model"], fingerprint):
            reasons.append(f"it was saved with another model ({Path(manifest['model'].get('path', '?')).name})")
        if manifest["n_ctx"] != session.engine.n_ctx:
            reasons.append(f"it was saved at n_ctx {manifest['n_ctx']}, this session has {session.engine.n_ctx}")
        if manifest["cache"] != {"type_k": session.settings.type_k, "type_v": session.settings.type_v}:
            reasons.append("its KV cache types differ")
        start = time.perf_counter()
        session._keep_current(origin=f"snapshot {name}")
        session.conversation = conversation
        listed = manifest["kv"]["token_ids"]
        sync = None
        if not reasons:
            try:
                held = session.engine.load_state_bytes(blob, listed)
            except ModelLoadError as err:
                reasons.append(str(err))
            else:
                sync = session.resync()
                promised = promised_reuse(len(listed), session._prompt_len)
                if sync.reused < promised:
                    reasons.append(shortfall_reason(promised, sync.reused, held, len(listed)))
        if sync is None:
            session.engine.reset()
            sync = session.resync()
        seconds = time.perf_counter() - start
        if not reasons:
            more = f"; {sync.evaluated:,} more evaluated" if sync.evaluated > 1 else ""
            tokens, message = len(listed), f"restored {len(listed):,} tokens in {seconds:.2f} s from the KV state{more}"
        else:
            tokens, message = sync.evaluated, (f"restored the conversation of {name}; {sync.evaluated:,} tokens "
                                               f"re-evaluated in {seconds:.2f} s because " + " and ".join(reasons))
        result = SnapshotRestored(name, not reasons, tokens, sync.reused, sync.evaluated, seconds, message)
        session.sink(ev.Notice(result.message, "information" if not reasons else "warning"))
        session.sink(session._history_event())
        session.sink(session.dashboard())
        return result  # resync kept the restored conversation
