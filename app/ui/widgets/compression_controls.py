"""Compression controls under the history list: a strategy, Preview, Undo, and what the last one did.

The widget only asks: it posts `PreviewRequested` or `UndoRequested` and the app runs the
command on the engine thread. The keys live on the history pane (scope `HISTORY_TOOLS`),
so they work while the message list has the focus.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.reactive import reactive
from textual.widgets import Button, Select, Static

from app.core.compression.stats import STEP_JOIN
from app.core.compression.strategies import STRATEGIES
from app.ui.bindings import BindingScope

HISTORY_TOOLS = BindingScope(
    "history_tools",
    "History pane",
    (
        Binding("c", "compress", "Compress", show=False, id="history.compress"),
        Binding("u", "undo_compression", "Undo compression", show=False, id="history.undo_compression"),
        Binding("s", "next_strategy", "Next strategy", show=False, id="history.next_strategy"),
    ),
)

STRATEGY_LABELS = {
    "head": "head cut",
    "tail": "tail cut",
    "middle": "middle cut",
    "sliding": "sliding window",
    "summarize": "summarize",
    "hybrid": "hybrid",
}

STRATEGY_HINTS = {
    "head": "keeps the start of the selected message, then of the longest ones as needed",
    "tail": "keeps the end of the selected message, then of the longest ones as needed",
    "middle": "keeps both ends of the selected message, then of the longest ones, [...] between",
    "sliding": "drops the oldest turns; the system prompt and pinned messages stay",
    "summarize": "the model summarizes the older turns into one message (takes a while)",
    "hybrid": "a summary of the older turns plus the last turns word for word",
}


def strategy_label(strategy: str) -> str:
    """'sliding window', or 'hybrid + sliding window' when automatic compression needed a second strategy."""
    return " + ".join(STRATEGY_LABELS.get(step, step) for step in strategy.split(STEP_JOIN))


class CompressionControls(Vertical):
    DEFAULT_CSS = """
    CompressionControls { height: auto; padding: 0 1; border-top: solid $panel; }
    CompressionControls > #compress-title { height: 1; }
    CompressionControls > Horizontal { height: auto; }
    CompressionControls #compress-strategy { width: 1fr; }
    CompressionControls Button { margin-left: 1; min-width: 9; }
    CompressionControls > Static { height: auto; }
    """

    strategy: reactive[str] = reactive("sliding")
    undo_label: reactive[str | None] = reactive(None)  # what Undo would restore; None: nothing to undo
    result: reactive[Content] = reactive(Content(""))
    keys_hint: reactive[str] = reactive("")

    class PreviewRequested(TextualMessage):
        def __init__(self, strategy: str) -> None:
            super().__init__()
            self.strategy = strategy

    class UndoRequested(TextualMessage):
        """Undo the newest compression."""

    def __init__(self, strategy: str = "sliding", **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_reactive(CompressionControls.strategy, strategy if strategy in STRATEGIES else "sliding")

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("COMPRESSION", "bold $text-primary"), id="compress-title")
        with Horizontal():
            yield Select(
                [(strategy_label(s), s) for s in STRATEGIES], value=self.strategy, allow_blank=False,
                compact=True, id="compress-strategy",
            )
            yield Button("Preview", compact=True, variant="primary", id="compress-preview")
            yield Button("Undo", compact=True, disabled=True, id="compress-undo")
        yield Static(id="compress-hint")
        yield Static(id="compress-result")

    def on_mount(self) -> None:
        self._show_hint()
        self._show_result()

    def watch_strategy(self, strategy: str) -> None:
        if not self.is_mounted:
            return
        select = self.query_one(Select)
        if select.value != strategy:
            select.value = strategy
        self._show_hint()

    def watch_undo_label(self, label: str | None) -> None:
        if not self.is_mounted:
            return
        undo = self.query_one("#compress-undo", Button)
        undo.disabled = label is None
        undo.tooltip = f"Undo {label}" if label else "No compression to undo"

    def watch_result(self) -> None:
        self._show_result()

    def watch_keys_hint(self) -> None:
        self._show_hint()

    def _show_hint(self) -> None:
        if not self.is_mounted:
            return
        lines = [Content.styled(STRATEGY_HINTS.get(self.strategy, ""), "$text-muted")]
        if self.keys_hint:
            lines.append(Content.styled(self.keys_hint, "$text-muted"))
        self.query_one("#compress-hint", Static).update(Content("\n").join(lines))

    def _show_result(self) -> None:
        if self.is_mounted:
            self.query_one("#compress-result", Static).update(self.result)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value in STRATEGIES:
            self.strategy = event.value

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "compress-preview":
            self.request_preview()
        elif event.button.id == "compress-undo":
            self.request_undo()

    def request_preview(self) -> None:
        self.post_message(self.PreviewRequested(self.strategy))

    def request_undo(self) -> None:
        self.post_message(self.UndoRequested())

    def next_strategy(self) -> None:
        self.strategy = STRATEGIES[(STRATEGIES.index(self.strategy) + 1) % len(STRATEGIES)]
