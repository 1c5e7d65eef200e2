"""A yes/no question in a small modal: Enter or y answers yes, Esc or n answers no."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from app.ui.bindings import BindingScope

CONFIRM = BindingScope(
    "confirm",
    "Yes/no question",
    (
        Binding("enter,y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
    ),
)


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "saved_sessions.tcss"
    BINDINGS = list(CONFIRM.bindings)

    def __init__(self, question: str, detail: str | Content = "", yes: str = "Enter: yes", no: str = "Esc: no") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(Content.styled(self.question, "bold $text-primary"), id="confirm-question")
            if self.detail:
                yield Static(self.detail if isinstance(self.detail, Content) else Content(self.detail), id="confirm-detail")
            yield Static(
                Content.assemble((self.yes, "bold $text-accent"), ("  ·  ", "$text-muted"), (self.no, "$text-muted")),
                id="confirm-keys",
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
