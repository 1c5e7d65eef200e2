"""A small modal that asks for a name; it stays open until the name passes its check.

`check(name)` raises a `ContextWatchError` for a name that cannot be used (the modal shows
the message and keeps the text), or returns a warning that a second Enter accepts, such as
"a snapshot with this name exists".
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from app.core.errors import ContextWatchError
from app.ui.bindings import BindingScope

NAME_PROMPT = BindingScope(
    "name_prompt",
    "Name dialog",
    (
        Binding("enter", "accept", "OK", id="name_prompt.accept"),
        Binding("escape", "close", "Cancel", id="name_prompt.cancel"),
    ),
)

NameCheck = Callable[[str], "str | None"]


class NamePromptScreen(ModalScreen[str | None]):
    CSS_PATH = "saved_sessions.tcss"
    BINDINGS = list(NAME_PROMPT.bindings)

    def __init__(self, title: str, default: str, check: NameCheck, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.check = check
        self.hint = hint
        self._warned: str | None = None  # the name whose warning a second Enter accepts

    def compose(self) -> ComposeResult:
        with Vertical(id="name-dialog", classes="dialog"):
            yield Static(Content.styled(self.title_text, "bold $text-primary"), id="name-title")
            yield Input(self.default, id="name-input", select_on_focus=True)
            yield Static(id="name-problem")
            yield Static(Content.styled(self.hint or "Enter accepts · Esc cancels", "$text-muted"), id="name-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @property
    def problem(self) -> str:
        return str(self.query_one("#name-problem", Static).render())

    def _show_problem(self, text: str, severity: str) -> None:
        problem = self.query_one("#name-problem", Static)
        problem.update(Content.styled(text, f"$text-{severity}") if text else "")
        problem.set_class(bool(text), "-shown")

    def on_input_changed(self, _event: Input.Changed) -> None:
        self._warned = None
        self._show_problem("", "error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_accept()

    def action_accept(self) -> None:
        name = self.query_one(Input).value.strip()
        try:
            warning = self.check(name)
        except ContextWatchError as err:
            self._warned = None
            self._show_problem(str(err), "error")
            return
        if warning and self._warned != name:
            self._warned = name
            self._show_problem(f"{warning} · Enter again to go ahead", "warning")
            return
        self.dismiss(name)

    def action_close(self) -> None:
        self.dismiss(None)
