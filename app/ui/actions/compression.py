"""Compression from the app: preview, apply and undo, and the automatic-compression settings.

`CompressionActions` is mixed into the app. Whatever touches the model (a preview, which
may summarize with it; applying; undoing; changing the settings) runs on the engine thread
through `run_command`, and each result comes back to the callback sent with its command.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual.content import Content

from app.core.compression.strategies import SUMMARIZING, TRUNCATIONS, CompressionPlan, is_protected
from app.core.config.settings import save_defaults
from app.core.errors import ContextWatchError
from app.core.session import commands as cmd
from app.core.session.runner import CommandFinished
from app.ui import bindings
from app.ui.actions.palette import PaletteEntry
from app.ui.display.kv_sync import sync_count_parts
from app.ui.engine_link.engine_guard import engine_idle
from app.ui.screens.compression_preview import CompressionPreviewScreen
from app.ui.screens.compression_settings import ON_FULL_LABELS, CompressionChoice, CompressionSettingsScreen
from app.ui.widgets.compression_controls import HISTORY_TOOLS, STRATEGY_LABELS, CompressionControls, strategy_label
from app.ui.widgets.compression_panel import AutoPolicy


def sync_note(verb: str, result) -> Content:
    """'applied · 312 reused · 186 shifted · 88 re-evaluated · 0.41 s' from a SyncResult (shifted only when some were)."""
    return Content.assemble(
        (verb, "bold"), (" · ", "$text-muted"),
        *sync_count_parts(result.reused, result.shifted, result.evaluated, then=" · "), f"{result.seconds:.2f} s",
    )


class CompressionActions:
    """Compression actions and results, for `ContextWatchApp`."""

    def _tools_keys(self) -> dict[str, str]:
        return {b.action: bindings.effective_keys(b, self.keymap).split(",")[0].strip() for b in HISTORY_TOOLS.bindings}

    # ----- preview, apply, undo

    def on_compression_controls_preview_requested(self, message: CompressionControls.PreviewRequested) -> None:
        self.preview_compression(message.strategy, self.main.highlighted_message())

    def on_compression_controls_undo_requested(self, _message: CompressionControls.UndoRequested) -> None:
        self.undo_compression()

    def preview_compression(self, strategy: str, index: int | None = None) -> None:
        """Ask the engine thread for a plan; a truncation cuts the selected message first unless it is protected."""
        if not engine_idle(self, "compressing"):
            return
        messages = self.messages()
        cut = None
        if strategy in TRUNCATIONS and index is not None and 0 <= index < len(messages):
            cut = None if is_protected(messages[index], index) else index
        writes = " · the model writes a summary, Esc cancels" if strategy in SUMMARIZING else ""
        self.main.show_compression_result(Content.styled(f"previewing {strategy_label(strategy)}…{writes}", "$text-muted"))
        self.run_command(cmd.PreviewCompression(strategy, cut), self._previewed)

    def _show_plan(self, plan: CompressionPlan) -> None:
        self.main.show_compression_result(
            Content.styled(f"{strategy_label(plan.strategy)}: preview open", "$text-muted"))
        self.push_screen(CompressionPreviewScreen(plan), partial(self._plan_answered, plan))

    def _plan_answered(self, plan: CompressionPlan, apply: bool | None) -> None:
        if not apply:
            self.main.show_compression_result(Content.styled("preview closed: nothing changed", "$text-muted"))
            return
        if engine_idle(self, "compressing"):
            self.run_command(cmd.ApplyCompression(plan), partial(self._compression_synced, "applied"))

    def undo_compression(self) -> None:
        if not engine_idle(self, "undoing a compression"):
            return
        if not self.checkpoints:
            self.notify("There is no compression to undo.", severity="warning")
            return
        self.run_command(cmd.UndoCompression(), partial(self._compression_synced, "undone"))

    # ----- automatic compression

    def action_compression_settings(self, focus: str = "auto") -> None:
        if self.screen is not self.main:
            return
        self.push_screen(CompressionSettingsScreen(self.engine_settings, focus), self._settings_chosen)

    def _settings_chosen(self, choice: CompressionChoice | None) -> None:
        if choice is None:
            return
        if choice.save:
            self._save_defaults(choice.values)
        self.set_auto_compression(**choice.values)

    def _save_defaults(self, values: dict, title: str = "Settings", saved: str = "Saved as defaults in") -> bool:
        """config.toml keeps the new values; a config that does not load is left as it is (False)."""
        try:
            path = save_defaults(**values)
        except (ContextWatchError, OSError) as err:
            self.notify(f"config.toml was not changed: {err}", title=title, severity="error", timeout=10)
            return False
        self.notify(f"{saved} {path}", title=title)
        return True

    def set_auto_compression(self, **values) -> None:
        if self.engine_state.load_failed is not None:
            self.notify("The model did not load, so there is nothing to compress.", severity="error")
            return
        self.run_command(cmd.ChangeSettings.of(**values), self._settings_changed)

    def toggle_auto_compression(self) -> None:
        self.set_auto_compression(auto_compress=not self.engine_settings.auto_compress)

    def _palette_preview(self, strategy: str) -> None:
        if self.screen is not self.main:
            return
        self.main.open_history()
        self.main.compression_controls.strategy = strategy
        self.preview_compression(strategy, self.main.highlighted_message())

    def _palette_tool(self, action: str) -> None:
        if self.screen is not self.main:
            return
        self.main.open_history()
        if action == "undo_compression":
            self.undo_compression()
        else:
            self.main.compression_controls.next_strategy()

    def compression_palette_entries(self) -> Iterable[PaletteEntry]:
        keys = self._tools_keys()
        for strategy, label in STRATEGY_LABELS.items():
            yield PaletteEntry(f"Compression: preview {label}", f"{keys['compress']} in the "
                               "history pane previews the strategy chosen there", partial(self._palette_preview, strategy))
        yield PaletteEntry("Compression: undo the last one", f"{keys['undo_compression']} in the history pane",
                           partial(self._palette_tool, "undo_compression"))
        yield PaletteEntry("Compression: next strategy", f"{keys['next_strategy']} in the history pane",
                           partial(self._palette_tool, "next_strategy"))
        on = self.engine_settings.auto_compress
        yield PaletteEntry(f"Auto-compression: turn {'off' if on else 'on'}", f"it is {'on' if on else 'off'} now",
                           self.toggle_auto_compression)
        shifting = self.engine_settings.kv_shift == "auto"
        yield PaletteEntry(f"KV shift: turn {'off' if shifting else 'on'}",
                           "off re-reads exactly what a change leaves after it" if shifting else
                           "on moves the cached tokens after a dropped range instead of re-reading them",
                           partial(self.set_auto_compression, kv_shift="off" if shifting else "auto"))
        yield PaletteEntry("Compression trigger…", f"now {self.engine_settings.compress_trigger:g}% of the budget",
                           partial(self.action_compression_settings, "trigger"))

    # ----- results from the engine thread

    def show_compression_state(self) -> None:
        """The undo button and the automatic policy, once the engine thread is idle."""
        if not self.engine_state.idle or not self._showing():
            return
        checkpoints = self.checkpoints
        s = self.engine_settings
        keys = self._tools_keys()
        hint = f"{keys['compress']} preview  {keys['undo_compression']} undo  {keys['next_strategy']} next strategy"
        self.main.show_compression_state(
            AutoPolicy(s.auto_compress, s.compress_trigger, s.compress_strategy, s.kv_shift, s.on_full),
            strategy_label(checkpoints[-1].strategy) if checkpoints else None,
            hint,
        )

    def _compression_went_through(self, event: CommandFinished) -> bool:
        """False after a cancel or a failure, which the result line then shows."""
        if event.ok:
            return True
        label = event.command.label
        if event.cancelled:
            self.main.show_compression_result(Content.styled(f"{label} cancelled: nothing changed", "$text-muted"))
        else:
            self.main.show_compression_result(Content.styled(f"{label} failed: nothing changed", "$text-error"))
        return False

    def _previewed(self, event: CommandFinished) -> None:
        if self._compression_went_through(event):
            self._show_plan(event.result)

    def _compression_synced(self, verb: str, event: CommandFinished) -> None:
        if self._compression_went_through(event):
            note = sync_note(verb, event.result)
            self.main.show_compression_result(note)
            self.main.set_status(note.plain)

    def _settings_changed(self, event: CommandFinished) -> None:
        if self._compression_went_through(event):
            s = self.engine_settings = event.result
            state = f"on: at {s.compress_trigger:g}% of the budget with {strategy_label(s.compress_strategy)}" \
                if s.auto_compress else "off: only a message that would not fit is compressed"
            shift = "shifts where it can" if s.kv_shift == "auto" else "is re-read exactly (no shift)"
            self.notify(f"Auto-compression is {state}. The KV cache {shift}; a reply that fills the context: "
                        f"{ON_FULL_LABELS[s.on_full]}.", title="Compression")
