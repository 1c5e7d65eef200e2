"""An engine that cannot save its KV state gets snapshots without one, and says why, instead of failing."""

from __future__ import annotations

from types import SimpleNamespace

from app.core.conversations.conversation import Conversation
from app.core.engine.capabilities import EngineCapabilities
from app.core.snapshots.cache_match import SnapshotCache
from app.core.snapshots.service import SnapshotService
from fakes.word_tokenizer import WordEngine


class StatelessEngine(WordEngine):
    capabilities = EngineCapabilities(can_save_state=False, can_shift_cache=False, counts_tokens_locally=True,
                                      can_change_n_ctx=False)

    def cached_ids(self) -> list[int]:
        return self.prompt_ids([{"role": "system", "content": "You are brief."}], add_generation_prompt=False)


def test_a_snapshot_keeps_no_kv_state_from_an_engine_that_cannot_save_one():
    session = SimpleNamespace(engine=StatelessEngine(), conversation=Conversation.with_system("You are brief."))
    kept = SnapshotService(session).cache_for_snapshot()
    assert kept == SnapshotCache(0, "this engine cannot save its KV state")
