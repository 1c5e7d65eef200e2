"""The one-line search bar above the input: what to find, and where the current match is.

The bar keeps the search and the current match; the screen shows that match in the
conversation when the bar posts `SearchBar.Moved`.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message as TextualMessage
from textual.widgets import Input, Static

from app.core.conversations.conversation import Message
from app.core.conversations.search import Match, SearchResult, find, step
from app.ui.bindings import SEARCH


class SearchInput(Input):
    BINDINGS = list(SEARCH.bindings)

    def action_next(self) -> None:
        self.query_ancestor(SearchBar).move(forward=True)

    def action_previous(self) -> None:
        self.query_ancestor(SearchBar).move(forward=False)

    def action_close(self) -> None:
        self.query_ancestor(SearchBar).close()


class SearchBar(Horizontal):
    DEFAULT_CSS = """
    SearchBar { height: 1; display: none; }
    SearchBar.-open { display: block; }
    """

    class Moved(TextualMessage):
        """The current match changed: `match` is None when there is none to show."""

        def __init__(self, match: Match | None, result: SearchResult) -> None:
            super().__init__()
            self.match = match
            self.result = result

    class Closed(TextualMessage):
        """The bar was closed: the marks it left go, and the input takes the focus back."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.messages: Sequence[Message] = ()
        self.result = SearchResult("", ())
        self.current: int | None = None

    def compose(self) -> ComposeResult:
        yield SearchInput(placeholder="Find in the conversation · Enter next · Shift+Enter previous · Esc closes",
                          id="search-input")
        yield Static("", id="search-count")

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def open(self) -> None:
        self.add_class("-open")
        field = self.query_one(SearchInput)
        field.focus()
        field.select_all()

    def close(self) -> None:
        if self.is_open:
            self.remove_class("-open")
            self.post_message(self.Closed())

    def show_messages(self, messages: Sequence[Message]) -> None:
        """The conversation changed: search it again, staying near the match shown."""
        self.messages = messages
        if self.is_open and self.result.query:
            self._search(self.result.query, keep=self.current)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()  # Enter is "next match", a binding of the input

    def _search(self, query: str, keep: int | None = None) -> None:
        self.result = find(self.messages, query)
        count = len(self.result)
        self.current = None if not count else min(keep, count - 1) if keep is not None else 0
        self._moved()

    def move(self, forward: bool) -> None:
        self.current = step(self.current, len(self.result), forward)
        self._moved()

    def _moved(self) -> None:
        label = self.query_one("#search-count", Static)
        label.update(self.result.position(self.current or 0))
        label.set_class(bool(self.result.query) and not self.result.matches, "-none")
        match = None if self.current is None else self.result.matches[self.current]
        self.post_message(self.Moved(match, self.result))
