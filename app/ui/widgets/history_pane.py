"""The history pane: every message with its role, token count and markers, and keys to act on one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from app.core.conversations.conversation import Message
from app.core.events import SyncDone
from app.core.formatting import fmt_int
from app.ui.bindings import HISTORY, HISTORY_UNDO
from app.ui.display.kv_sync import sync_count_parts
from app.ui.widgets.compression_controls import HISTORY_TOOLS, CompressionControls
from app.ui.widgets.text_block import TextBlock

ROLE_STYLES = {"system": "$text-secondary", "user": "$text-primary", "assistant": "$text-success"}
PREVIEW_CHARS = 34


def message_prompt(index: int, message: Message) -> Content:
    first_line = message.content.strip().splitlines()[0] if message.content.strip() else ""
    if len(first_line) > PREVIEW_CHARS:
        first_line = first_line[: PREVIEW_CHARS - 1] + "…"
    markers: list[tuple[str, str] | str] = []
    if message.pinned:
        markers += [" ", (" pinned ", "bold $background on $accent")]
    if message.summary:
        markers += [" ", (" summary ", "bold $background on $secondary")]
    cut_off = (message.metrics or {}).get("cut_off")
    if cut_off:
        markers += [" ", (f" cut off: {cut_off} ", "bold $background on $warning")]
    return Content.assemble(
        (f"#{index} ", "$text-muted"), (message.role, f"bold {ROLE_STYLES.get(message.role, '')}"),
        ("  ", ""), fmt_int(message.tokens), (" tok", "$text-muted"), *markers, "\n",
        (first_line or "(empty)", "$text-muted" if not first_line else ""),
    )


class HistoryList(OptionList):
    """The message list; its keys ask the app to act on the highlighted message."""

    BINDINGS = [*HISTORY.bindings, *HISTORY_UNDO.bindings]

    class ActionRequested(TextualMessage):
        def __init__(self, action: str, index: int) -> None:
            super().__init__()
            self.action = action
            self.index = index

    class UndoDeleteRequested(TextualMessage):
        """Bring back the message deleted last."""

    def _request(self, action: str) -> None:
        if self.highlighted is not None:
            self.post_message(self.ActionRequested(action, self.highlighted))

    def action_edit(self) -> None:
        self._request("edit")

    def action_delete(self) -> None:
        self._request("delete")

    def action_pin(self) -> None:
        self._request("pin")

    def action_regenerate(self) -> None:
        self._request("regenerate")

    def action_undo_delete(self) -> None:
        self.post_message(self.UndoDeleteRequested())


class HistoryPane(Vertical):
    """The message list, the KV sync line and the compression controls; `HISTORY_TOOLS` keys work anywhere in it."""

    BINDINGS = list(HISTORY_TOOLS.bindings)
    DEFAULT_CSS = """
    HistoryPane { height: 1fr; }
    HistoryPane > HistoryList { height: 1fr; }
    HistoryPane > #history-sync { height: auto; padding: 0 1; }
    HistoryPane > #history-tools { height: auto; }
    """

    messages: reactive[tuple[Message, ...]] = reactive(tuple)
    last_sync: reactive[SyncDone | None] = reactive(None)
    _shrunk_onto_newest = False

    def __init__(self, keys_hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys_hint = keys_hint

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("HISTORY", "bold $text-primary"), id="history-title")
        yield HistoryList(id="history-list")
        yield TextBlock(id="history-sync")
        with Vertical(id="history-tools"):
            yield CompressionControls(id="compression-controls")

    def on_mount(self) -> None:
        self._show_sync()

    def watch_messages(self, messages: tuple[Message, ...]) -> None:
        if not self.is_mounted:
            return
        listing = self.query_one(HistoryList)
        keep, count = listing.highlighted, listing.option_count
        # on the newest: stay on the newest; a highlight the history shrank onto the newest stays where it is
        follow = keep is None or (keep >= count - 1 and not self._shrunk_onto_newest)
        listing.set_options(Option(message_prompt(i, m), id=str(m.id)) for i, m in enumerate(messages))
        self._shrunk_onto_newest = not follow and len(messages) < count
        if messages:
            listing.highlighted = len(messages) - 1 if follow else min(keep, len(messages) - 1)

    def watch_last_sync(self) -> None:
        self._show_sync()

    def _show_sync(self) -> None:
        if not self.is_mounted:
            return
        s = self.last_sync
        keys = self.keys_hint
        if s is None:
            sync = Content.styled("KV cache: no sync yet", "$text-muted")
        else:
            sync = Content.assemble(("KV sync ", "$text-muted"), *sync_count_parts(s.reused, s.shifted, s.evaluated))
        text = Content.assemble(sync, "\n", (keys, "$text-muted"))
        self.query_one("#history-sync", TextBlock).content = text

    def highlighted_index(self) -> int | None:
        return self.query_one(HistoryList).highlighted

    def action_compress(self) -> None:
        self.query_one(CompressionControls).request_preview()

    def action_undo_compression(self) -> None:
        self.query_one(CompressionControls).request_undo()

    def action_next_strategy(self) -> None:
        self.query_one(CompressionControls).next_strategy()
