"""The chat settings dialog: the system prompt and sampling (temperature, top-k, top-p, min-p,
repeat penalty, seed, max tokens).

Save checks every field as config.toml is checked (`core.config.chat_settings`), shows each
problem under its field and stays open until all are right; then it returns the values, which
the app applies from the next turn and writes to config.toml. Esc changes nothing.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from app.core.config.chat_settings import SAMPLING_FIELDS, WHOLE, field_text, read_chat_settings
from app.core.config.settings import Settings
from app.ui.bindings import BindingScope
from app.ui.screens.save_dialog import SavesOnEnter

CHAT_SETTINGS_DIALOG = BindingScope(
    "chat_settings",
    "Chat settings",
    (
        Binding("ctrl+s", "save", "Save", id="chat_settings.save"),
        Binding("escape", "close", "Cancel", id="chat_settings.cancel"),
    ),
)

LABELS = {
    "temperature": "Temperature",
    "top_k": "Top-k",
    "top_p": "Top-p",
    "min_p": "Min-p",
    "repeat_penalty": "Repeat penalty",
    "seed": "Seed",
    "max_tokens": "Max tokens",
}
PLACEHOLDERS = {"seed": "random"}
PER_ROW = 2


class ChatSettingsScreen(SavesOnEnter, ModalScreen[dict | None]):
    SAVE_BUTTON = "chat-settings-save"
    CSS_PATH = "chat_settings.tcss"
    BINDINGS = list(CHAT_SETTINGS_DIALOG.bindings)

    def __init__(self, settings: Settings, system_prompt: str) -> None:
        super().__init__()
        self.settings = settings
        self.system_prompt = system_prompt

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="chat-settings-dialog"):
            yield Static(Content.assemble(
                ("Chat settings", "bold $text-primary"),
                ("   from the next turn on · Save also writes config.toml", "$text-muted"),
            ), id="chat-settings-title")
            yield Label("System prompt (blank: none)", classes="chat-settings-label")
            yield TextArea(self.system_prompt, id="system-prompt", soft_wrap=True, show_line_numbers=False,
                           tab_behavior="focus", compact=True)
            for start in range(0, len(SAMPLING_FIELDS), PER_ROW):
                with Horizontal(classes="chat-settings-row"):
                    for name in SAMPLING_FIELDS[start:start + PER_ROW]:
                        yield from self._field(name)
            yield Static(Content.styled("top-k 0 is off · temperature 0 is greedy · a blank seed is random",
                                        "$text-muted"), id="chat-settings-hint")
            yield Static(id="chat-settings-problem", classes="chat-settings-problem")
            with Horizontal(id="chat-settings-buttons"):  # docked: the fields scroll, the buttons stay in view
                yield Button("Save (Ctrl+S)", variant="primary", id="chat-settings-save", compact=True)
                yield Button("Cancel (Esc)", id="chat-settings-cancel", compact=True)

    def _field(self, name: str) -> ComposeResult:
        with Vertical(classes="chat-settings-cell"):
            with Horizontal(classes="chat-settings-pair"):
                yield Label(LABELS[name], classes="chat-settings-name")
                yield Input(field_text(self.settings, name), placeholder=PLACEHOLDERS.get(name, ""),
                            id=f"field-{name}", compact=True, classes="chat-settings-input")
            yield Static(id=f"problem-{name}", classes="chat-settings-problem")

    def on_mount(self) -> None:
        for problem in self.query(".chat-settings-problem"):
            problem.display = False
        self.query_one("#system-prompt", TextArea).focus()

    def problem(self, name: str = WHOLE) -> str:
        """The problem shown under field `name` ("" when none), or the one about the settings as a whole."""
        target = f"#problem-{name}" if name != WHOLE else "#chat-settings-problem"
        return str(self.query_one(target, Static).content)

    def action_save(self) -> None:
        texts = {name: self.query_one(f"#field-{name}", Input).value for name in SAMPLING_FIELDS}
        read = read_chat_settings(self.settings, self.query_one("#system-prompt", TextArea).text, texts)
        for name in SAMPLING_FIELDS:
            self._show_problem(f"#problem-{name}", read.problems.get(name, ""))
            self.query_one(f"#field-{name}", Input).set_class(name in read.problems, "-invalid")
        self._show_problem("#chat-settings-problem", read.problems.get(WHOLE, ""))
        if read.ok:
            self.dismiss(read.values)
            return
        first = next((name for name in SAMPLING_FIELDS if name in read.problems), None)
        if first is not None:
            self.query_one(f"#field-{first}", Input).focus()

    def _show_problem(self, selector: str, text: str) -> None:
        problem = self.query_one(selector, Static)
        problem.update(Content.styled(text, "$text-error"))
        problem.display = bool(text)
        if text:
            self.call_after_refresh(problem.scroll_visible, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
