"""Keeping sessions: snapshots, transcripts, the resume offer after a crash, and the growth view.

`SavedSessionActions` is mixed into the app. Its actions open the screens; whatever touches
the model goes to the engine thread through `run_command`, and each result comes back to the
callback sent with its command, which turns it into a status line.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from textual.binding import Binding

from app.core.conversations.conversation import Conversation, Message
from app.core.conversations.store import has_messages, title_from
from app.core.errors import ContextWatchError
from app.core.formatting import fmt_bytes
from app.core.growth.store import GrowthStore
from app.core.session import commands as cmd
from app.core.session.runner import CommandFinished
from app.core.snapshots.store import SnapshotStore, check_name, default_name
from app.ui import bindings
from app.ui.engine_link.engine_guard import engine_idle
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.growth import GrowthScreen
from app.ui.screens.name_prompt import NamePromptScreen
from app.ui.screens.resume import ResumeScreen
from app.ui.screens.snapshots import SnapshotPickerScreen

EXPORT_FORMATS = {"md": "Markdown", "json": "JSON"}


def message_for_turn(messages: Sequence[Message], turn_index: int, prompt: str | None = None) -> int | None:
    """The user message a recorded turn answered: its prompt's, nearest the turn's position.

    None when that prompt is no longer there (edited, deleted, compressed, or replaced by a
    restore); without a prompt to look for, the n-th user message.
    """
    users = [i for i, m in enumerate(messages) if m.role == "user" and not m.summary]
    wanted = max(0, turn_index - 1)
    if prompt is not None:
        matches = [k for k, i in enumerate(users) if messages[i].content == prompt]
        return users[min(matches, key=lambda k: abs(k - wanted))] if matches else None
    return users[min(wanted, len(users) - 1)] if users else None


class SavedSessionActions:
    """Actions and event handling of saved sessions, for `ContextWatchApp`."""

    pending_resume: dict | None = None  # the autosave of a session that did not end cleanly

    # ----- guards

    def _on_main_screen(self) -> bool:
        return self.screen is self.main

    def _engine_free(self, what: str) -> bool:
        return engine_idle(self, what)

    def _store(self) -> SnapshotStore | None:
        try:
            return SnapshotStore()
        except (ContextWatchError, OSError) as err:
            self.notify(f"The snapshots folder cannot be used: {err}", severity="error")
            return None

    def _key_hint(self, binding_id: str) -> str:
        binding = next(b for b in bindings.APP.bindings if b.id == binding_id)
        key = bindings.effective_keys(binding, self.keymap).split(",")[0].strip()
        return self.get_key_display(Binding(key, binding.action))

    # ----- snapshots

    def action_snapshot(self) -> None:
        if not self._on_main_screen() or not self._engine_free("taking a snapshot"):
            return
        store = self._store()
        if store is None:
            return

        def check(name: str) -> str | None:
            check_name(name)
            return f"a snapshot named {name} exists and will be replaced" if store.exists(name) else None

        prompt = NamePromptScreen("Take a snapshot: conversation and KV cache", default_name(), check,
                                  "Enter saves · Esc cancels · letters, digits, '.', '_' and '-'")
        self.push_screen(prompt, self._take_snapshot)

    def _take_snapshot(self, name: str | None) -> None:
        if name:
            self.main.set_status(f"saving snapshot {name}…", busy=True)
            self.run_command(cmd.SaveSnapshot(name), self._snapshot_saved)

    def action_snapshots(self) -> None:
        if isinstance(self.screen, SnapshotPickerScreen):
            self.screen.dismiss(None)
            return
        if not self._on_main_screen():
            return
        store = self._store()
        if store is not None:
            self.push_screen(SnapshotPickerScreen(store, self._key_hint("app.snapshot")), self.restore_snapshot)

    def action_restore_last(self) -> None:
        if not self._on_main_screen():
            return
        store = self._store()
        if store is None:
            return
        latest = store.latest()
        if latest is None:
            self.notify("There is no snapshot to restore yet.", severity="warning")
            return
        self.restore_snapshot(latest.name)

    def restore_snapshot(self, name: str | None) -> None:
        """Restore over an empty conversation at once; over one with messages, after saying what happens to it."""
        if not name or not self._engine_free("restoring a snapshot"):
            return
        conversation = Conversation(self.messages())
        if not has_messages(conversation):
            self._restore(name, True)
            return
        title = title_from(conversation)
        if self.conversations_folder is not None:
            detail = (f"The current conversation, “{title}”, is kept and stays in the conversation list "
                      f"({bindings.key_for('app.conversations', self.keymap)}). The snapshot opens as a "
                      "conversation of its own.")
        else:
            detail = f"The current conversation, “{title}”, is not saved anywhere: the snapshot replaces it."
        question = ConfirmScreen(f"Restore snapshot {name}?", detail, yes="Enter or y: restore")
        self.push_screen(question, partial(self._restore, name))

    def _restore(self, name: str, yes: bool | None) -> None:
        if not yes:
            return
        self.main.set_status(f"restoring snapshot {name}…", busy=True)
        self.run_command(cmd.RestoreSnapshot(name), self._snapshot_restored)

    # ----- transcripts

    def action_export_markdown(self) -> None:
        self._export("md")

    def action_export_json(self) -> None:
        self._export("json")

    def _export(self, fmt: str) -> None:
        if not self._on_main_screen() or not self._engine_free(f"exporting a {EXPORT_FORMATS[fmt]} transcript"):
            return
        self.run_command(cmd.ExportTranscript(fmt), self._transcript_written)

    # ----- the resume offer

    def offer_resume(self) -> None:
        """Once the model has loaded: ask whether to continue the session a crash cut short."""
        if self.pending_resume is None or isinstance(self.screen, ResumeScreen):
            return
        self.push_screen(ResumeScreen(self.pending_resume, self.model_path), self._resume_answered)

    def _resume_answered(self, resume: bool | None) -> None:
        pending, self.pending_resume = self.pending_resume, None
        if pending is None:
            return
        if resume and pending.get("id"):
            conversation_id = pending["id"]
            self.main.set_status("reading the last conversation into the KV cache…", busy=True)
            self.run_command(cmd.ResumeConversation(conversation_id), self._resumed)
        elif resume:
            conversation, in_flight = pending["conversation"], pending["in_flight"]
            self.main.set_status("resuming the last session…", busy=True)
            self.run_command(cmd.ResumeAutosave(conversation, in_flight), self._resumed)
        else:
            key = bindings.key_for("app.conversations", self.keymap)
            self.show_settled(ready=f"ready · a new conversation · {key} lists the kept ones")

    def keep_unanswered_resume(self) -> None:
        """Quitting before the offer was answered keeps the old session resumable next time."""
        if self.pending_resume is not None:
            self.runner.run(cmd.KeepAutosave())

    # ----- growth

    def action_growth(self) -> None:
        if isinstance(self.screen, GrowthScreen):
            self.screen.dismiss(None)
            return
        if not self._on_main_screen():
            return
        if self.growth is None:
            reason = "the model has not loaded yet" if not self.engine_state.loaded else "turn history is off for this session"
            self.notify(f"No growth view: {reason}.", severity="warning")
            return
        try:
            store = GrowthStore(self.growth.path)  # the UI thread's own connection, read while the engine writes
        except (ContextWatchError, OSError) as err:
            self.notify(f"No growth view: {err}", severity="error")
            return
        screen = GrowthScreen(store, self.growth.session_id)
        self.push_screen(screen, partial(self._jump_to_turn, screen))

    def _jump_to_turn(self, screen: GrowthScreen, turn_index: int | None) -> None:
        screen.store.close()
        if turn_index is None:
            return
        row = next((r for r in screen.rows if r.turn_index == turn_index), None)
        index = message_for_turn(self.messages(), turn_index, row.prompt if row else None)
        if index is None:
            self.notify("That turn's prompt is no longer in the conversation: it was edited, deleted, "
                        "compressed or replaced by a restore.", severity="warning")
            return
        self.main.show_message(index)

    # ----- results from the engine thread

    def _snapshot_saved(self, event: CommandFinished) -> None:
        if not event.ok:
            return
        saved = event.result
        if saved.kv_saved:
            self.main.set_status(f"snapshot {saved.name} saved · {saved.tokens:,} tokens · {fmt_bytes(saved.bytes)}")
        else:
            self.main.set_status(f"snapshot {saved.name} saved without its KV state · {saved.reason}")

    def _snapshot_restored(self, event: CommandFinished) -> None:
        if event.ok:
            self.main.set_status(event.result.message)

    def _transcript_written(self, event: CommandFinished) -> None:
        if event.ok:
            path = event.result.path
            self.notify(f"Transcript written to {path}", title="Export", timeout=10)
            self.main.set_status(f"transcript written to {path}")

    def _resumed(self, event: CommandFinished) -> None:
        if event.ok:
            count = event.result.messages
            self.notify(f"Resumed the last conversation: {count} messages.")
            self.main.set_status(f"resumed · {count} messages")
