"""The main screen: history pane, conversation and input, and the live sidebar.

The app hands it data through the `show_*` methods; the widgets render that data.
"""

from __future__ import annotations

from functools import partial

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.screen import Screen
from textual.widgets import Footer, Header

from app.core.conversations.conversation import Message
from app.core.events import (
    DashboardUpdate,
    LoadProgress,
    MemoryLevelChanged,
    SyncDone,
    TurnFinished,
)
from app.core.session.reload import ReloadOutcome
from app.ui.bindings import SCREEN
from app.ui.engine_link.frame_cost import FrameCost
from app.ui.engine_link.live_buffer import LiveBatch
from app.ui.widgets.alert_banner import AlertBanner
from app.ui.widgets.budget_bar import BudgetBar
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.chat_settings_panel import ChatSettingsPanel, ChatSettingsView
from app.ui.widgets.compression_controls import CompressionControls
from app.ui.widgets.compression_panel import AutoPolicy, CompressionPanel
from app.ui.widgets.context_gauge import ContextGauge
from app.ui.widgets.conversation_view import ConversationView
from app.ui.widgets.history_pane import HistoryList, HistoryPane
from app.ui.widgets.latency_panel import LatencyPanel
from app.ui.widgets.load_status import LoadStatus
from app.ui.widgets.memory_panel import MemoryPanel
from app.ui.widgets.model_panel import ModelPanel
from app.ui.widgets.reload_compare import ReloadComparePanel
from app.ui.widgets.search_bar import SearchBar
from app.ui.widgets.server_panel import ServerPanel
from app.ui.widgets.sidebar_strip import SidebarStrip
from app.ui.widgets.status_line import StatusLine

WIDE_COLUMNS = 120  # from this width on, the full sidebar fits beside the conversation


class MainScreen(Screen[None], inherit_bindings=False):
    """Below `WIDE_COLUMNS` the screen has the class `-narrow` (else `-wide`): the sidebar then
    collapses to a one-line strip and opens over the chat, like the history pane.
    `-sidebar-open` (narrow) and `-sidebar-closed` (wide) record the user's choice for each width."""

    BINDINGS = list(SCREEN.bindings)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_COLUMNS, "-wide")]

    class Ready(TextualMessage):
        """Every widget is mounted: the app may start sending data."""

    def __init__(self, history_keys: str = "", reload_key: str = "F10", sidebar_key: str = "Ctrl+B") -> None:
        super().__init__()
        self.history_keys = history_keys
        self.reload_key = reload_key
        self.sidebar_key = sidebar_key
        self._level_t = float("-inf")

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="body"):
            yield HistoryPane(keys_hint=self.history_keys, id="history")
            with Vertical(id="chat"):
                strip = SidebarStrip(id="sidebar-strip")
                strip.key = self.sidebar_key
                yield strip
                banner = AlertBanner(id="banner")
                banner.reload_key = self.reload_key
                yield banner
                yield LoadStatus(id="load")
                yield ConversationView(id="conversation")
                yield SearchBar(id="search")
                yield ChatInput(id="input")
                yield StatusLine(id="status")
            sidebar = VerticalScroll(id="sidebar")
            sidebar.border_title = f"{self.sidebar_key} closes"  # drawn only where the sidebar opens over the chat
            with sidebar:
                yield ModelPanel(id="model", classes="panel")
                yield ContextGauge(id="gauge", classes="panel")
                yield BudgetBar(id="budget", classes="panel")
                yield ServerPanel(id="server", classes="panel")
                yield MemoryPanel(id="memory", classes="panel")
                yield LatencyPanel(id="latency", classes="panel")
                yield CompressionPanel(id="compression", classes="panel")
                yield ChatSettingsPanel(id="chat-settings", classes="panel")
                yield ReloadComparePanel(id="reload", classes="panel")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(Footer).compact = event.size.width < WIDE_COLUMNS  # more keys fit in a narrow footer

    def on_mount(self) -> None:
        self.query_one(ChatInput).focus()
        self.set_status("loading the model…", busy=True)
        self.post_message(self.Ready())

    # ----- data in

    def show_live(self, batch: LiveBatch) -> None:
        """Streamed text and the token count; the app sends dashboards to `show_dashboard`."""
        tokens = batch.last_token.index if batch.last_token is not None else None
        if batch.text or tokens is not None:
            self.query_one(ConversationView).append_reply(batch.text, tokens)
        if tokens is not None:
            self.set_status("generating · Esc cancels", busy=True)

    def show_dashboard(self, update: DashboardUpdate, frame_cost: FrameCost | None = None) -> None:
        self.query_one(SidebarStrip).update = update
        self.query_one(ContextGauge).show(update.usage, update.forecast)
        self.query_one(BudgetBar).usage = update.usage
        self.query_one(MemoryPanel).show(update.memory, update.kv)
        self.query_one(LatencyPanel).show(update.latency, update.cache_hits, frame_cost)
        self.query_one(CompressionPanel).stats = update.compression
        self._show_level(update.memory.level, update.memory.level_percent, update.memory.t)

    def show_frame_cost(self, cost: FrameCost | None) -> None:
        self.query_one(LatencyPanel).frame_cost = cost

    def show_level_change(self, event: MemoryLevelChanged) -> None:
        self._show_level(event.new, event.percent, event.t)

    def _show_level(self, level, percent: float, t: float) -> None:
        if t < self._level_t:
            return
        self._level_t = t
        banner = self.query_one(AlertBanner)
        banner.percent = percent
        banner.level = level

    def show_model(self, info, backend) -> None:
        self.query_one(ModelPanel).show(info, backend)

    def show_backend(self, backend) -> None:
        self.query_one(ServerPanel).show_backend(backend)
        self.query_one(MemoryPanel).remote = backend is not None and backend.remote

    def show_server_status(self, status) -> None:
        self.query_one(ServerPanel).show_status(status)

    def show_backend_report(self, reported) -> None:
        self.query_one(ServerPanel).show_reported(reported)

    def show_load_progress(self, event: LoadProgress) -> None:
        load = self.query_one(LoadStatus)
        load.stage = event.stage
        load.fraction = event.fraction

    def show_loaded(self) -> None:
        self.query_one(LoadStatus).finish()

    def show_load_failed(self, message: str) -> None:
        self.query_one(LoadStatus).failed = message

    def show_history(self, messages: tuple[Message, ...]) -> None:
        self.query_one(ConversationView).sync(messages)
        self.query_one(HistoryPane).messages = messages
        self.query_one(SearchBar).show_messages(messages)

    def show_sync(self, event: SyncDone) -> None:
        self.query_one(HistoryPane).last_sync = event

    def show_reply_started(self) -> None:
        self.query_one(ConversationView).begin_reply()

    def show_context_shift(self, mark: str) -> None:
        self.query_one(ConversationView).mark_reply(mark)

    def show_reply_stopped(self, note: str) -> None:
        self.query_one(ConversationView).stop_reply(note)

    def show_turn_ended(self) -> None:
        self.query_one(ConversationView).end_reply()

    def show_turn(self, event: TurnFinished) -> None:
        self.query_one(LatencyPanel).last_turn = event

    @property
    def compression_controls(self) -> CompressionControls:
        return self.query_one(CompressionControls)

    def show_compression_state(self, policy: AutoPolicy, undo: str | None, keys_hint: str) -> None:
        self.query_one(CompressionPanel).policy = policy
        controls = self.compression_controls
        controls.undo_label = undo
        controls.keys_hint = keys_hint

    def show_chat_settings(self, view: ChatSettingsView) -> None:
        self.query_one(ChatSettingsPanel).view = view

    def show_compression_result(self, note: Content) -> None:
        self.compression_controls.result = note

    def show_load_started(self) -> None:
        self.query_one(LoadStatus).restart()

    def show_reload(self, outcome: ReloadOutcome) -> None:
        panel = self.query_one(ReloadComparePanel)
        panel.outcome = outcome
        self.call_after_refresh(panel.scroll_visible, animate=False)

    def set_status(self, text: str, busy: bool = False) -> None:
        status = self.query_one(StatusLine)
        status.text = text
        status.busy = busy

    # ----- layout

    @property
    def history_open(self) -> bool:
        return self.query_one(HistoryPane).has_class("-open")

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    @property
    def sidebar_shown(self) -> bool:
        """Whether the full sidebar is on screen (beside the chat, or over it when narrow)."""
        return self.has_class("-sidebar-open") if self.narrow else not self.has_class("-sidebar-closed")

    def toggle_sidebar(self) -> bool:
        """Collapse the full sidebar to its strip, or bring it back; True when it is shown now."""
        if self.narrow:
            self.toggle_class("-sidebar-open")
            if self.sidebar_shown and self.history_open:
                self.toggle_history()  # both would cover the chat
        else:
            self.toggle_class("-sidebar-closed")
        return self.sidebar_shown

    def on_sidebar_strip_clicked(self, _message: SidebarStrip.Clicked) -> None:
        self.toggle_sidebar()

    def toggle_history(self) -> bool:
        pane = self.query_one(HistoryPane)
        if self.narrow and not pane.has_class("-open") and self.sidebar_shown:
            self.toggle_sidebar()  # the pane opens over the chat where the sidebar was
        pane.toggle_class("-open")
        if pane.has_class("-open"):
            self.query_one(HistoryList).focus()
        else:
            self.focus_input()
        return pane.has_class("-open")

    def open_history(self) -> None:
        if not self.history_open:
            self.toggle_history()

    def show_message(self, index: int) -> None:
        """Select message `index` in the history pane and scroll the conversation to it, if shown."""
        messages = self.query_one(HistoryPane).messages
        if not 0 <= index < len(messages):
            return
        self.open_history()
        self.query_one(HistoryList).highlighted = index
        view = self.query_one(ConversationView)
        block = next((b for b in view.children if getattr(b, "key", (None,))[0] == messages[index].id), None)
        if block is not None:
            view.scroll_to_widget(block, top=True, animate=False)
            block.add_class("-found")
            self.set_timer(3.0, partial(block.remove_class, "-found"))

    # ----- search

    def open_search(self) -> None:
        bar = self.query_one(SearchBar)
        if not bar.is_open:
            bar.show_messages(self.query_one(HistoryPane).messages)
        bar.open()

    def on_search_bar_moved(self, event: SearchBar.Moved) -> None:
        view = self.query_one(ConversationView)
        match = event.match
        if match is None:
            view.clear_match()
            return
        message = self.query_one(SearchBar).messages[match.message]
        if not view.show_match(message, match.start, match.end):
            view.clear_match()  # older than the messages shown: the history pane lists it
            self._reveal_in_history(match.message)

    def _reveal_in_history(self, index: int) -> None:
        """Open the history pane on message `index` without taking the focus from the search."""
        self.query_one(HistoryPane).add_class("-open")
        self.query_one(HistoryList).highlighted = index

    def on_search_bar_closed(self, _event: SearchBar.Closed) -> None:
        self.query_one(ConversationView).clear_match()
        self.focus_input()

    def highlighted_message(self) -> int | None:
        return self.query_one(HistoryPane).highlighted_index()

    def focus_input(self) -> None:
        self.query_one(ChatInput).focus()

    def take_input(self) -> str:
        return self.query_one(ChatInput).text

    def restore_input(self, text: str) -> None:
        """Put back a message that was not sent, before anything typed since."""
        self.query_one(ChatInput).restore(text)
