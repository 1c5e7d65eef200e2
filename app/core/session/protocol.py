"""What the typed commands drive on a session: the real `Session`, or any stand-in with the same methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from app.core.compression.plan import CompressionPlan
    from app.core.config.settings import Settings
    from app.core.conversations.autosave import Autosave
    from app.core.conversations.conversation import Conversation
    from app.core.conversations.outcomes import ConversationOpened
    from app.core.engine.results import SyncResult
    from app.core.engine.sampling import SamplingParams
    from app.core.engine.sync_costs import SyncCosts
    from app.core.events import EventSink
    from app.core.session.session import TurnResult
    from app.core.snapshots.outcomes import SnapshotRestored, SnapshotSaved


class ChatSession(Protocol):
    settings: Settings
    sink: EventSink
    conversation: Conversation
    autosave: Autosave | None
    model_path: Path | None

    def load(self, n_ctx: int | None = None) -> None: ...

    def change_settings(self, values: dict) -> Settings: ...

    def submit(self, text: str, sampling: SamplingParams | None = None) -> TurnResult: ...

    def regenerate(self, index: int, sampling: SamplingParams | None = None) -> TurnResult: ...

    def edit_message(self, index: int, text: str) -> SyncResult: ...

    def delete_message(self, index: int) -> SyncResult: ...

    def undo_delete(self) -> SyncResult: ...

    def preview_edit(self, index: int, text: str | None) -> SyncCosts: ...

    def toggle_pin(self, index: int) -> bool: ...

    def snapshot_manifest(self, name: str) -> dict: ...

    def save_snapshot(self, name: str, store=None) -> SnapshotSaved: ...

    def restore_snapshot(self, name: str, store=None) -> SnapshotRestored: ...

    def open_conversation(self, conversation_id: str) -> ConversationOpened: ...

    def new_conversation(self) -> SyncResult: ...

    def resume(self, conversation: Conversation, in_flight: str = "") -> None: ...

    def preview_compression(self, strategy: str, index: int | None = None,
                            target: int | None = None, protect_last: bool = False) -> CompressionPlan: ...

    def apply_compression(self, plan: CompressionPlan, reason: str = "manual", sync: bool = True) -> SyncResult | None: ...

    def undo_compression(self) -> SyncResult: ...

    def cancel(self, quitting: bool = False) -> None: ...

    def close(self) -> None: ...
