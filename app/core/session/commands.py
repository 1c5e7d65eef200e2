"""The commands a front end sends to the engine thread, one frozen dataclass each.

`run(session)` executes on the engine thread and returns the command's typed result, which
comes back in `CommandFinished`. `label` is the word the status line uses for the command;
`activity` is what the engine is doing while it runs; `cancellable` says whether Esc stops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from app.core.conversations.outcomes import ConversationResumed
from app.core.conversations.transcript import export_transcript
from app.core.session.command_results import SweepDone, TranscriptWritten
from app.core.session.context_offer import ContextOffer, context_offer
from app.core.session.engine_state import Activity
from app.core.session.model_offer import ModelOffer, model_offer
from app.core.session.reload import ReloadOutcome, preview_reload, reload
from app.core.sweep.session_sweep import sweep_in_engine

if TYPE_CHECKING:
    from app.core.compression.strategies import CompressionPlan
    from app.core.config.settings import Settings
    from app.core.conversations.conversation import Conversation
    from app.core.conversations.outcomes import ConversationOpened
    from app.core.engine.results import SyncResult
    from app.core.engine.sync_costs import SyncCosts
    from app.core.session.protocol import ChatSession
    from app.core.session.session import Session, TurnResult
    from app.core.snapshots.outcomes import SnapshotRestored, SnapshotSaved


class Command:
    label: ClassVar[str]
    activity: ClassVar[Activity] = Activity.WORKING
    cancellable: ClassVar[bool] = False

    def run(self, session: Any) -> Any:
        raise NotImplementedError


# ----- the model and the turn


@dataclass(frozen=True)
class Load(Command):
    model_path: Path | None = None  # the model picked at start, instead of the session's
    label: ClassVar[str] = "load"
    activity: ClassVar[Activity] = Activity.LOADING

    def run(self, session: ChatSession) -> None:
        if self.model_path is not None:
            session.model_path = self.model_path
        session.load()


@dataclass(frozen=True)
class Submit(Command):
    text: str
    label: ClassVar[str] = "submit"
    activity: ClassVar[Activity] = Activity.GENERATING
    cancellable: ClassVar[bool] = True

    def run(self, session: ChatSession) -> TurnResult:
        return session.submit(self.text)


@dataclass(frozen=True)
class Regenerate(Command):
    index: int
    label: ClassVar[str] = "regenerate"
    activity: ClassVar[Activity] = Activity.GENERATING
    cancellable: ClassVar[bool] = True

    def run(self, session: ChatSession) -> TurnResult:
        return session.regenerate(self.index)


# ----- the history


@dataclass(frozen=True)
class EditMessage(Command):
    index: int
    text: str
    label: ClassVar[str] = "edit"

    def run(self, session: ChatSession) -> SyncResult:
        return session.edit_message(self.index, self.text)


@dataclass(frozen=True)
class DeleteMessage(Command):
    index: int
    label: ClassVar[str] = "delete"

    def run(self, session: ChatSession) -> SyncResult:
        return session.delete_message(self.index)


@dataclass(frozen=True)
class PreviewHistoryEdit(Command):
    """What an edit (`text`) or a deletion (`text` None) of message `index` would cost the KV cache, each way."""

    index: int
    text: str | None = None
    label: ClassVar[str] = "edit preview"

    def run(self, session: ChatSession) -> SyncCosts:
        return session.preview_edit(self.index, self.text)


@dataclass(frozen=True)
class UndoDelete(Command):
    label: ClassVar[str] = "undo-delete"

    def run(self, session: ChatSession) -> SyncResult:
        return session.undo_delete()


@dataclass(frozen=True)
class TogglePin(Command):
    index: int
    label: ClassVar[str] = "pin"

    def run(self, session: ChatSession) -> bool:
        return session.toggle_pin(self.index)


# ----- saved sessions


@dataclass(frozen=True)
class SaveSnapshot(Command):
    name: str
    label: ClassVar[str] = "snapshot"

    def run(self, session: ChatSession) -> SnapshotSaved:
        return session.save_snapshot(self.name)


@dataclass(frozen=True)
class RestoreSnapshot(Command):
    name: str
    label: ClassVar[str] = "restore"

    def run(self, session: ChatSession) -> SnapshotRestored:
        return session.restore_snapshot(self.name)


@dataclass(frozen=True)
class ExportTranscript(Command):
    fmt: str  # "md" or "json"
    label: ClassVar[str] = "export"

    def run(self, session: ChatSession) -> TranscriptWritten:

        return TranscriptWritten(export_transcript(session, self.fmt))


@dataclass(frozen=True)
class OpenConversation(Command):
    conversation_id: str
    label: ClassVar[str] = "open-conversation"

    def run(self, session: ChatSession) -> ConversationOpened:
        return session.open_conversation(self.conversation_id)


@dataclass(frozen=True)
class ResumeConversation(OpenConversation):
    """Continue the kept conversation a crash cut short."""

    label: ClassVar[str] = "resume"


@dataclass(frozen=True)
class ResumeAutosave(Command):
    """Continue an autosave that is not in the conversation list (an older file)."""

    conversation: Conversation
    in_flight: str = ""
    label: ClassVar[str] = "resume"

    def run(self, session: ChatSession) -> ConversationResumed:

        session.resume(self.conversation, self.in_flight)
        return ConversationResumed(sum(1 for m in session.conversation.messages if m.role != "system"))


@dataclass(frozen=True)
class NewConversation(Command):
    label: ClassVar[str] = "new-conversation"

    def run(self, session: ChatSession) -> SyncResult:
        return session.new_conversation()


@dataclass(frozen=True)
class KeepAutosave(Command):
    """Closing: leave the autosaved conversation as it is on disk (resumable, or unfinished)."""

    label: ClassVar[str] = "keep-autosave"

    def run(self, session: ChatSession) -> None:
        session.autosave = None


# ----- compression and settings


@dataclass(frozen=True)
class PreviewCompression(Command):
    strategy: str
    cut: int | None = None  # a message a truncation cuts first
    label: ClassVar[str] = "compression preview"
    cancellable: ClassVar[bool] = True

    def run(self, session: ChatSession) -> CompressionPlan:
        return session.preview_compression(self.strategy, self.cut)


@dataclass(frozen=True)
class ApplyCompression(Command):
    plan: CompressionPlan
    label: ClassVar[str] = "compression"

    def run(self, session: ChatSession) -> SyncResult | None:
        return session.apply_compression(self.plan)


@dataclass(frozen=True)
class UndoCompression(Command):
    label: ClassVar[str] = "undo compression"

    def run(self, session: ChatSession) -> SyncResult:
        return session.undo_compression()


@dataclass(frozen=True)
class ChangeSettings(Command):
    values: tuple[tuple[str, Any], ...]  # (field, value) pairs of Settings
    label: ClassVar[str] = "compression settings"

    @classmethod
    def of(cls, **values: Any) -> ChangeSettings:
        return cls(tuple(values.items()))

    def run(self, session: ChatSession) -> Settings:
        return session.change_settings(dict(self.values))


@dataclass(frozen=True)
class ChangeChatSettings(ChangeSettings):
    """The system prompt and sampling, from the next turn on."""

    label: ClassVar[str] = "chat settings"


# ----- context size: reload and sweep


@dataclass(frozen=True)
class OfferContextSizes(Command):
    label: ClassVar[str] = "context options"
    feature: ClassVar[str] = "n_ctx reload"

    def run(self, session: Session) -> ContextOffer:
        from app.core.session.reload import refuse_on_server

        refuse_on_server(session, self.feature)
        return context_offer(session)


@dataclass(frozen=True)
class OfferModels(Command):
    """Every model found on this machine, with its memory at the session's n_ctx and KV cache types."""

    label: ClassVar[str] = "model list"

    def run(self, session: Session) -> ModelOffer:
        return model_offer(session)


@dataclass(frozen=True)
class OfferSweep(OfferContextSizes):
    label: ClassVar[str] = "sweep options"
    feature: ClassVar[str] = "sweep"


@dataclass(frozen=True)
class PreviewReload(Command):
    """None when the conversation fits the new size; else the compression that makes it fit."""

    n_ctx: int
    type_k: str | None = None
    type_v: str | None = None
    flash_attn: bool | None = None
    strategy: str | None = None
    model_path: Path | None = None  # another model to load instead
    label: ClassVar[str] = "reload preview"

    def run(self, session: Session) -> CompressionPlan | None:
        return preview_reload(session, self.n_ctx, self.type_k, self.type_v, self.flash_attn, self.strategy,
                              self.model_path)


@dataclass(frozen=True)
class Reload(Command):
    n_ctx: int
    type_k: str | None = None
    type_v: str | None = None
    flash_attn: bool | None = None
    plan: CompressionPlan | None = None
    model_path: Path | None = None  # another model to load instead, the conversation kept
    label: ClassVar[str] = "reload"
    activity: ClassVar[Activity] = Activity.RELOADING

    def run(self, session: Session) -> ReloadOutcome:
        return reload(session, self.n_ctx, self.type_k, self.type_v, self.flash_attn, self.plan, self.model_path)


@dataclass(frozen=True)
class Sweep(Command):
    request: Any  # a SweepRequest: points, fill and the cancel event the progress dialog sets
    label: ClassVar[str] = "sweep"
    activity: ClassVar[Activity] = Activity.SWEEPING

    def run(self, session: Session) -> SweepDone:

        return SweepDone(tuple(sweep_in_engine(session, self.request) or ()))
