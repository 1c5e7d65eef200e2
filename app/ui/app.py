"""The ContextWatch app: wires a session and its engine thread to the screens.

`ContextWatchApp` takes its dependencies (a session factory, a runner factory), so tests
run it on a scripted fake session; `run_app` builds the real ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from app.core import events as ev
from app.core.compression.strategies import SUMMARIZING
from app.core.config.model_catalog import ModelCatalog, find_models
from app.core.config.model_locator import BUNDLED, FIRST, ModelChoice
from app.core.config.paths import resource_dir
from app.core.config.settings import DEFAULT_N_CTX, Settings, save_defaults
from app.core.conversations.conversation import Message
from app.core.conversations.prompt_text import clean_prompt
from app.core.engine.server.options import ServerOptions
from app.core.errors import ContextWatchError
from app.core.formatting import gpu_layers_label
from app.core.session import commands as cmd
from app.core.session.engine_state import Activity, EngineState, EngineStateTracker
from app.core.session.runner import CommandFinished, CommandStarted, EngineRunner
from app.core.sweep.session_sweep import SweepProgress
from app.core.telemetry.chart_series import ChartSeries
from app.ui import bindings
from app.ui.actions.chat_settings import ChatSettingsActions
from app.ui.actions.clipboard import ClipboardActions
from app.ui.actions.compression import CompressionActions
from app.ui.actions.context_size import ContextSizeActions
from app.ui.actions.conversations import ConversationActions
from app.ui.actions.early_keys import EarlyKeyRouting
from app.ui.actions.history_edits import HistoryEditActions
from app.ui.actions.model_picker import ModelPickerActions
from app.ui.actions.palette import ContextWatchCommands, PaletteEntry
from app.ui.actions.saved_sessions import SavedSessionActions
from app.ui.display.alerts import box_note, memory_alert, shift_mark, stop_note, threshold_alert
from app.ui.display.kv_sync import sync_counts_plain
from app.ui.display.themes import choose_theme, load_theme_folder
from app.ui.engine_link.bridge import EventBridge
from app.ui.engine_link.engine_status import compression_status, loaded_status, progress_status, queued_status
from app.ui.engine_link.frame_cost import FrameCostMeter
from app.ui.engine_link.messages import EngineMessage, LiveDataReady
from app.ui.screens.charts import ChartsScreen
from app.ui.screens.help import HelpScreen
from app.ui.screens.main import MainScreen
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.compression_controls import strategy_label
from app.ui.widgets.history_pane import HistoryList

FRAME_SECONDS = 1 / 10  # streamed text reaches the screen at most 10 times a second
DASHBOARD_SECONDS = 1 / 2  # the sidebar twice a second while a reply streams

SessionFactory = Callable[[ev.EventSink], Any]
RunnerFactory = Callable[[Any, ev.EventSink], Any]
CommandDone = Callable[[CommandFinished], None]


def _theme_folder() -> Path | None:
    try:
        return resource_dir("themes")
    except FileNotFoundError:
        return None


class ContextWatchApp(ConversationActions, HistoryEditActions, ClipboardActions, SavedSessionActions, CompressionActions,
                      ChatSettingsActions, ContextSizeActions, ModelPickerActions, EarlyKeyRouting, App[int],
                      inherit_bindings=False):
    TITLE = "ContextWatch"
    CSS_PATH = "app.tcss"
    BINDINGS = list(bindings.APP.bindings)
    COMMANDS = App.COMMANDS | {ContextWatchCommands}

    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        runner_factory: RunnerFactory = EngineRunner,
        *,
        theme_folder: Path | None = None,
        autoload: bool = True,
        pending_resume: dict | None = None,
        model_path: Path | None = None,
        model_choice: ModelChoice | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.bridge = EventBridge(self)
        self.session = session_factory(self.bridge)
        self.runner = runner_factory(self.session, self.bridge)
        self.autoload = autoload
        self.pending_resume = pending_resume  # offered once the model has loaded
        self.model_path = model_path
        self.start_choice = model_choice  # how the model was found; with several and none named, the user picks
        self.engine_settings = settings  # the session's settings, as the last ChangeSettings left them
        self.history: tuple[Message, ...] = ()  # as the last HistoryChanged carried them
        self.checkpoints: tuple = ()
        self.can_undo_delete = False
        self.conversations_folder: Path | None = None  # where the session keeps its conversations, if it does
        self.conversation_id: str | None = None
        self.growth: ev.GrowthOpened | None = None  # where this session's turns are recorded
        self.charts = ChartSeries()  # from the newest dashboard
        self.tracker = EngineStateTracker()
        self._on_done: list[tuple[Any, CommandDone]] = []  # callbacks of commands not finished, oldest first
        self._ready_status = "ready"
        self._unanswered: str | None = None  # the text of the submit in flight
        self._turn_note: str | None = None  # how the last reply stopped
        self.last_stop: ev.StopReason | None = None
        self.turn_tokens = 0
        self.latest_dashboard: ev.DashboardUpdate | None = None
        self._flush_scheduled = False
        self._last_flush = 0.0
        self._last_dashboard = 0.0
        self._held_dashboard: ev.DashboardUpdate | None = None
        self._unpainted_dashboard: ev.DashboardUpdate | None = None
        self.frame_cost = FrameCostMeter()
        self._startup_notes: list[tuple[str, str]] = []
        self.keymap: dict[str, str] = self._checked_keymap()
        self._main_screen: MainScreen | None = None
        self._setup_themes(theme_folder if theme_folder is not None else _theme_folder())

    # ----- set-up

    def _setup_themes(self, folder: Path | None) -> None:
        catalog = load_theme_folder(folder)
        for theme in catalog.themes.values():
            self.register_theme(theme)
        self.own_themes = tuple(catalog.themes)
        chosen, note = choose_theme(self.settings.theme, set(self.available_themes), catalog.problems)
        self.theme = chosen
        self._start_theme = chosen
        if note:
            self._startup_notes.append((f"Theme: {note}", "warning"))

    def _checked_keymap(self) -> dict[str, str]:
        """`[keys]` without the unknown ids and the values that are not keys, each kind in one warning."""
        keymap = dict(self.settings.keys)
        unknown = bindings.unknown_ids(keymap)
        if unknown:
            self._startup_notes.append(
                (f"[keys] in config.toml names unknown binding id(s): {', '.join(unknown)}. "
                 "The help screen (F1) lists every id.", "warning")
            )
        bad = bindings.bad_keys({k: v for k, v in keymap.items() if k not in unknown})
        if bad:
            listed = "; ".join(f"{k} = {keymap[k]!r}: {problem}" for k, problem in sorted(bad.items()))
            self._startup_notes.append(
                (f"[keys] in config.toml has values that are not keys, so those bindings keep their "
                 f"default keys: {listed}. The help screen (F1) lists every id and its key.", "warning")
            )
        return {k: v for k, v in keymap.items() if k not in unknown and k not in bad}

    def _look_for_other_models(self) -> None:
        """With the bundled model loaded, say whether the local stores hold others; read off the UI thread."""
        choice = self.start_choice
        if choice is None or choice.how != BUNDLED:
            return
        if choice.found:
            self._name_other_models(choice)
        else:
            self.run_worker(partial(self._read_stores, choice), thread=True, group="model-stores")

    def _read_stores(self, choice: ModelChoice) -> None:
        n_ctx = self.settings.n_ctx if isinstance(self.settings.n_ctx, int) else DEFAULT_N_CTX
        found = ModelChoice(choice.path, choice.how, find_models(n_ctx).models)
        self.call_from_thread(self._name_other_models, found)

    def _name_other_models(self, choice: ModelChoice) -> None:
        self.start_choice = choice
        n = len(choice.others)
        if not n:
            return
        key = bindings.key_label(bindings.key_for("app.models", self.keymap))
        self.notify(f"Using the bundled model {choice.path.name}; {n} other model{'s' if n != 1 else ''} found on "
                    f"this machine: {key} picks another.", timeout=10)

    def start_catalog(self) -> ModelCatalog:
        return ModelCatalog(self.start_choice.found if self.start_choice else ())

    def get_default_screen(self) -> MainScreen:
        self._main_screen = MainScreen(
            history_keys=self._history_keys_hint(), reload_key=bindings.key_for("app.context_size", self.keymap),
            sidebar_key=bindings.key_label(bindings.key_for("app.sidebar", self.keymap)),
        )
        return self._main_screen

    def get_key_display(self, binding: Binding) -> str:
        """Every key on screen in one style ("F2", "Ctrl+Q", "Esc"), whatever the binding's own display."""
        return bindings.key_label(binding.key.split(",")[0])

    def _history_keys_hint(self) -> str:
        hints = [
            f"{bindings.effective_keys(b, self.keymap).split(',')[0]} {b.description.lower()}"
            for b in bindings.HISTORY.bindings + bindings.HISTORY_UNDO.bindings
        ]
        return "\n".join("  ".join(hints[i:i + 2]) for i in range(0, len(hints), 2))

    def on_mount(self) -> None:
        self.set_keymap(self.keymap)
        for message, severity in self._startup_notes:
            self.notify(message, severity=severity, timeout=10)

    def on_main_screen_ready(self, _message: MainScreen.Ready) -> None:
        self.runner.start()
        self.show_chat_settings()
        if not self.autoload:
            return
        if self.start_choice is not None and self.start_choice.how == FIRST:
            self.pick_model_at_start()
        else:
            self.run_command(cmd.Load())

    @property
    def engine_state(self) -> EngineState:
        return self.tracker.state

    def run_command(self, command: Any, on_done: CommandDone | None = None) -> None:
        """Queue `command` on the engine thread, the only way the UI reaches the model.

        `on_done` gets its `CommandFinished` on the UI thread, after the status line has been settled.
        """
        self.tracker.sent(command)
        if on_done is not None:
            self._on_done.append((command, on_done))
        self.runner.run(command)

    def on_unmount(self) -> None:
        self.keep_unanswered_resume()
        self.conversation_closing()
        self._keep_theme()
        self.runner.stop()

    def _keep_theme(self) -> None:
        """A theme picked in this session becomes the default in config.toml; a broken config is left alone."""
        if self.theme == self._start_theme:
            return
        try:
            save_defaults(theme=self.theme)
        except (ContextWatchError, OSError):
            pass

    @property
    def main(self) -> MainScreen:
        return self._main_screen

    def _showing(self) -> bool:
        """False before the main screen is up and while the app shuts down."""
        screen = self._main_screen
        return screen is not None and screen.is_mounted and screen.is_attached

    # ----- live data: tokens and dashboards, batched

    def on_live_data_ready(self, _message: LiveDataReady) -> None:
        if self._showing():
            self._schedule_flush()

    @property
    def live_pending(self) -> bool:
        """Streamed text or a dashboard is still on its way to the screen."""
        return self._flush_scheduled or self._unpainted_dashboard is not None or self.bridge.buffer.has_data()

    def _schedule_flush(self) -> None:
        if self._flush_scheduled:
            return
        self._flush_scheduled = True
        delay = self._last_flush + FRAME_SECONDS - time.monotonic()
        if delay > 0:
            self.set_timer(delay, self._timed_flush)
        else:
            self.call_later(self._timed_flush)

    def _timed_flush(self) -> None:
        self._flush_scheduled = False
        if self._last_flush + FRAME_SECONDS - time.monotonic() > 0.001:
            self._schedule_flush()  # an in-order flush ran meanwhile: keep the frame rate
        else:
            self._flush_live()

    def _flush_live(self, final: bool = False) -> None:
        """Show what the live buffer holds; `final` also shows a dashboard held back for the rate."""
        if not self._showing():
            return
        now = self._last_flush = time.monotonic()
        batch = self.bridge.take()
        text_shown = False
        if batch is not None:
            if batch.dashboard is not None:
                self._held_dashboard = batch.dashboard
                self.charts = batch.dashboard.charts or self.charts
            if batch.last_token is not None:
                self.turn_tokens = batch.last_token.index
                self.frame_cost.frame_shown()
                self.main.show_live(batch)
                text_shown = True
        update = self._held_dashboard
        if update is None:
            return
        if final or now - self._last_dashboard >= DASHBOARD_SECONDS:
            self._held_dashboard = None
            self._last_dashboard = now
            self.latest_dashboard = update
            if final or not text_shown:
                self._unpainted_dashboard = None
                self._show_dashboard(update)
            else:
                self._paint_dashboard_after_text(update)
        else:
            self._schedule_flush()

    def _paint_dashboard_after_text(self, update: ev.DashboardUpdate) -> None:
        """Repaint the sidebar half a frame after the text, in a screen update of its own.

        One update covering the reply and the sidebar redraws every widget in the rectangle
        around both, which is nearly the whole screen. The text's update, and the scroll that
        follows a new line, are done by then.
        """
        waiting = self._unpainted_dashboard is not None
        self._unpainted_dashboard = update
        if not waiting:
            self.set_timer(FRAME_SECONDS / 2, self._paint_dashboard)

    def _paint_dashboard(self) -> None:
        update, self._unpainted_dashboard = self._unpainted_dashboard, None
        if update is not None and self._showing():
            self._show_dashboard(update)

    def _show_frame_cost(self) -> None:
        if self._showing():
            self.main.show_frame_cost(self.frame_cost.cost())

    def _show_dashboard(self, update: ev.DashboardUpdate) -> None:
        self.main.show_dashboard(update, self.frame_cost.cost())

    # ----- everything else, in order

    def on_engine_message(self, message: EngineMessage) -> None:
        event = message.event
        before = self.engine_state
        self.tracker.update(event)
        if not self._showing():
            self._take_on_done(event)
            return
        if self._shows_after_tokens(event):
            self._flush_live(final=True)  # the reply's last tokens appear before the turn is closed
        if isinstance(event, CommandFinished):
            self._on_command_finished(event, before)
            return
        handler = self._handlers().get(type(event))
        if handler is not None:
            handler(event)

    def _handlers(self) -> dict[type, Callable[[Any], None]]:
        return {
            ev.LoadProgress: self.main.show_load_progress,
            ev.ModelLoaded: self._on_model_loaded,
            ev.SyncDone: self._on_sync_done,
            ev.PrefillProgress: self._on_progress,
            ev.CountProgress: self._on_progress,
            ev.CompressionStarted: self._on_compression_started,
            ev.GenerationDone: self._on_generation_done,
            ev.ContextShifted: self._on_context_shifted,
            ev.ThresholdCrossed: self._on_threshold,
            ev.MemoryLevelChanged: self._on_memory_level,
            ev.Notice: self._on_notice,
            ev.HistoryChanged: self._on_history_changed,
            ev.GrowthOpened: partial(setattr, self, "growth"),
            ev.TurnFinished: self._on_turn_finished,
            ev.EngineError: self._on_engine_error,
            ev.ServerStatus: self.main.show_server_status,
            ev.BackendReported: self.main.show_backend_report,
            CommandStarted: self._on_command_started,
            SweepProgress: self.show_sweep_progress,
        }

    def _shows_after_tokens(self, event: object) -> bool:
        """Events that must see every token before them; others leave the frame rate alone."""
        if isinstance(event, (ev.GenerationDone, ev.TurnFinished, CommandFinished)):
            return True
        return isinstance(event, ev.HistoryChanged) and not self.engine_state.generating

    def messages(self) -> tuple[Message, ...]:
        return self.history

    def _on_history_changed(self, event: ev.HistoryChanged) -> None:
        self.history, self.checkpoints, self.can_undo_delete = event.messages, event.checkpoints, event.can_undo_delete
        self.conversations_folder, self.conversation_id = event.kept_in, event.conversation_id
        self.main.show_history(self.history)
        self.show_chat_settings()

    def _on_model_loaded(self, event: ev.ModelLoaded) -> None:
        info = event.info
        backend = event.backend
        name = info.short_name  # the full name and the path are in the sidebar's model panel
        if backend is not None and backend.remote:
            self.sub_title = f"{name} · on {backend.where} · n_ctx {event.n_ctx:,} · connected in {event.load_seconds:.1f} s"
        else:
            gpu = f" · {gpu_layers_label(info.n_gpu_layers)}" if info.n_gpu_layers else ""
            self.sub_title = f"{name} · {info.params_label} · n_ctx {event.n_ctx:,}{gpu} · loaded in {event.load_seconds:.1f} s"
        self.main.show_model(info, backend)
        self.main.show_backend(backend)
        self._ready_status = f"ready · {info.name} · type a message and press Enter"
        self.main.show_loaded()
        self.main.set_status(loaded_status(self.engine_state), busy=True)

    def _on_load_finished(self) -> None:
        """The engine thread is free only once the load command has returned, not at ModelLoaded."""
        self.show_settled("model loaded" if self.engine_state.pending else None, ready=self._ready_status)
        self.offer_resume()
        self._look_for_other_models()

    def show_settled(self, note: str | None = None, ready: str = "ready") -> None:
        """What just finished, or `ready`; "ready" only when nothing is running or queued."""
        pending = self.engine_state.pending
        if pending:
            self.main.set_status(queued_status(note, pending), busy=True)
        else:
            self.main.set_status(note or ready)

    def _on_sync_done(self, event: ev.SyncDone) -> None:
        self.main.show_sync(event)
        state = self.engine_state
        if not state.generating:
            self.main.set_status(
                f"KV cache: {sync_counts_plain(event.reused, event.shifted, event.evaluated)} in {event.seconds:.2f} s",
                busy=state.command is not None,
            )

    def _on_progress(self, _event: object) -> None:
        self.main.set_status(progress_status(self.engine_state), busy=True)

    def _on_compression_started(self, event: ev.CompressionStarted) -> None:
        summarizes = event.strategy in SUMMARIZING
        self.main.set_status(compression_status(event.reason, strategy_label(event.strategy), summarizes), busy=True)

    def _on_generation_done(self, event: ev.GenerationDone) -> None:
        self.last_stop = event.reason
        self.turn_tokens = 0
        note = stop_note(event)
        self.main.show_reply_stopped(box_note(event.reason, event.n_generated))
        self._turn_note = f"{note} · {event.n_generated:,} tokens"
        self.main.set_status(self._turn_note)
        if event.reason is ev.StopReason.CONTEXT_FULL:
            self.notify("The reply stopped: the context window is full.", severity="warning")

    def _on_context_shifted(self, event: ev.ContextShifted) -> None:
        """The streaming box says where the first shift of this reply was, as the kept reply's metrics will."""
        self.main.show_context_shift(shift_mark(event.first_at, event.total_dropped, event.how, event.times))

    def _on_threshold(self, event: ev.ThresholdCrossed) -> None:
        alert = threshold_alert(event)
        self.notify(alert.message, title=alert.title, severity=alert.severity)

    def _on_memory_level(self, event: ev.MemoryLevelChanged) -> None:
        alert = memory_alert(event)
        self.notify(alert.message, title=alert.title, severity=alert.severity)
        self.main.show_level_change(event)

    def _on_notice(self, event: ev.Notice) -> None:
        self.notify(event.message, severity=event.severity)

    def _on_turn_finished(self, event: ev.TurnFinished) -> None:
        self.main.show_turn(event)

    def _on_engine_error(self, event: ev.EngineError) -> None:
        if not self.engine_state.loaded:
            self.main.show_load_failed(event.message)
            self.main.set_status("the model did not load · Ctrl+Q quits")
        self.notify(event.message, title="Engine", severity="error", timeout=10)

    def _on_command_started(self, event: CommandStarted) -> None:
        activity = event.command.activity
        if activity is Activity.GENERATING:
            self.last_stop = None
            self._turn_note = None
            self.main.show_reply_started()
            if not self.turn_tokens:
                self.main.set_status("thinking…", busy=True)
        elif activity is not Activity.LOADING:
            self.main.set_status(f"{event.command.label}: working…", busy=True)

    def _on_command_finished(self, event: CommandFinished, before: EngineState) -> None:
        command, loaded = event.command, self.engine_state.loaded
        turn = command.activity is Activity.GENERATING
        if turn:
            self.frame_cost.stop()
            self.call_after_refresh(self._show_frame_cost)  # once the last frame has been drawn
            self.main.show_turn_ended()
        if command.activity is Activity.LOADING and event.ok and not before.loaded:
            self._on_load_finished()
        elif event.cancelled:
            self.show_settled(f"{command.label} cancelled")
        elif not event.ok and loaded:
            self.show_settled(f"{command.label} failed")
        elif turn:
            self.show_settled(self._turn_note)
        elif event.ok and loaded:
            self.show_settled()
        if isinstance(command, cmd.Submit):
            unanswered = event.ok and event.result.reason is ev.StopReason.CANCELLED and not event.result.reply
            if unanswered:
                self.main.set_status("cancelled before the reply began · the message is back in the input")
            if unanswered or not event.ok:
                self._give_back_unsent()
            self._unanswered = None
        on_done = self._take_on_done(event)
        if on_done is not None:
            on_done(event)
        self.show_compression_state()

    def _take_on_done(self, event: object) -> CommandDone | None:
        if not isinstance(event, CommandFinished):
            return None
        at = next((i for i, (c, _) in enumerate(self._on_done) if c is event.command), None)
        return None if at is None else self._on_done.pop(at)[1]

    # ----- sending and history commands

    def on_chat_input_submitted(self, message: ChatInput.Submitted) -> None:
        text = message.text
        if not self._can_send():
            self.main.restore_input(text)
            return
        if not self.engine_state.loaded:
            self.main.set_status("queued: the message goes out once the model has loaded", busy=True)
        self._unanswered = text
        self.run_command(cmd.Submit(text))

    def _give_back_unsent(self) -> None:
        """A submit that failed or was cancelled before it reached the history: its text goes back to the input."""
        text, self._unanswered = self._unanswered, None
        if text is None or not text.strip():
            return
        last = self.messages()[-1:]
        if not (last and last[0].role == "user" and last[0].content == clean_prompt(text)):
            self.main.restore_input(text)

    def _can_send(self) -> bool:
        state = self.engine_state
        if state.can_send:
            return True
        if state.load_failed is not None:
            self.notify("The model did not load, so nothing can be sent.", severity="error")
        else:
            self.notify("A reply is still running: wait, or press Esc to cancel it.", severity="warning")
        return False

    def on_history_list_action_requested(self, message: HistoryList.ActionRequested) -> None:
        self.history_action(message.action, message.index)

    def history_action(self, action: str, index: int | None) -> None:
        messages = self.messages()
        if index is None or not 0 <= index < len(messages):
            self.notify("Select a message in the history pane first.", severity="warning")
            return
        if not self.engine_state.free:
            self.notify("The engine is busy: wait for it, or press Esc to cancel a reply.", severity="warning")
            return
        if action == "edit":
            self.edit_message(index)
        elif action == "delete":
            self.ask_delete(index)
        elif action == "pin":
            self.run_command(cmd.TogglePin(index))
        elif action == "regenerate":
            self.run_command(cmd.Regenerate(index))

    # ----- actions (keys and command palette)

    def action_cancel(self) -> None:
        if self.engine_state.cancellable:
            self.runner.cancel()
            self.main.set_status("cancelling…", busy=True)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.keymap))

    def action_toggle_history(self) -> None:
        if self.screen is self.main:
            self.main.toggle_history()

    def action_toggle_sidebar(self) -> None:
        if self.screen is self.main:
            self.main.toggle_sidebar()

    def action_charts(self) -> None:
        if isinstance(self.screen, ChartsScreen):
            self.screen.dismiss(None)
        elif self.screen is self.main:
            self.push_screen(ChartsScreen(self.chart_data))

    def action_focus_input(self) -> None:
        if self.screen is self.main:
            self.main.focus_input()

    def action_send(self) -> None:
        text = self.main.take_input()
        if text.strip():
            self.main.query_one(ChatInput).action_send()
        else:
            self.notify("Type a message in the input first.", severity="warning")

    def action_clear_input(self) -> None:
        if self.screen is self.main:
            self.main.query_one(ChatInput).action_clear()
            self.main.focus_input()

    def action_search(self) -> None:
        if self.screen is self.main:
            self.main.open_search()

    def run_history_action(self, action: str) -> None:
        self.main.open_history()
        self.history_action(action, self.main.highlighted_message())

    def chart_data(self) -> ChartSeries:
        return self.charts

    def palette_entries(self) -> Iterable[PaletteEntry]:
        skip = {"command_palette", "help_quit", "copy_selection"}
        for b in bindings.APP.bindings:
            if b.action not in skip:
                yield PaletteEntry(b.description, self._keys_of(b), partial(self.run_action, b.action))
        yield PaletteEntry("Send the typed message", self._keys_of(bindings.CHAT.bindings[0]), self.action_send)
        clear = next(b for b in bindings.CHAT.bindings if b.id == "chat.clear")
        yield PaletteEntry(clear.description, self._keys_of(clear), self.action_clear_input)
        for b in bindings.HISTORY.bindings:
            yield PaletteEntry(
                f"History: {b.description.lower()} the selected message",
                f"{self._keys_of(b)} in the history pane",
                partial(self.run_history_action, b.action),
            )
        yield from self.compression_palette_entries()
        yield from self.conversation_palette_entries()
        yield from self.clipboard_palette_entries()
        for name in self.own_themes:
            yield PaletteEntry(f"Theme: {name}", "switch colours", partial(setattr, self, "theme", name))

    def _keys_of(self, binding) -> str:
        return bindings.keys_label(binding, self.keymap, " or ")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, less those the app's entries already offer under the same title."""
        ours = {entry.title for entry in self.palette_entries()}
        for command in super().get_system_commands(screen):
            if command.title == "Keys":
                yield command._replace(title="Keys of the focused field")
            elif command.title not in ours:
                yield command


def run_app(settings: Settings, model_path: Path | None, new: bool = False, server: ServerOptions | None = None,
            choice: ModelChoice | None = None) -> int:
    """Open the dashboard on the real model (a file, or a server), offering the last conversation unless `new`.

    `choice` says how the model was found: with several found and none named, the picker opens first.
    """
    from app.core.conversations.autosave import Autosave
    from app.core.engine.choose import engine_for
    from app.core.session.session import Session

    reader = Autosave()
    pending = None if new else reader.pending()
    app = ContextWatchApp(
        settings,
        lambda sink: Session(settings, model_path, sink=sink, autosave=Autosave(), engine=engine_for(server)),
        pending_resume=pending,
        model_path=model_path,
        model_choice=choice,
    )
    if reader.notices:
        app._startup_notes.extend((note, "warning") for note in reader.notices)
    app.run()
    return app.return_code or 0
