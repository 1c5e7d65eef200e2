"""Compression settings: automatic compression (on or off, trigger, strategy, target, reply reserve,
turns kept), whether the KV cache shifts instead of re-reading (kv_shift), and what a reply that fills
the context does (on_full).

The modal returns the changed values (already checked) and whether to save them to
config.toml as well; the app applies them on the engine thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from app.core.compression.strategies import STRATEGIES
from app.core.config.settings import KV_SHIFT_CHOICES, ON_FULL_CHOICES, Settings
from app.core.errors import UsageError
from app.ui.bindings import BindingScope
from app.ui.screens.save_dialog import SavesOnEnter
from app.ui.screens.tuning_dialog import OpensAtTheTop
from app.ui.widgets.compression_controls import strategy_label

SETTINGS_DIALOG = BindingScope(
    "compression_settings",
    "Compression settings",
    (
        Binding("ctrl+s", "save", "Save", id="compression_settings.save"),
        Binding("escape", "close", "Cancel", id="compression_settings.cancel"),
    ),
)

FIELDS = ("auto_compress", "compress_trigger", "compress_strategy", "compress_target", "reply_reserve",
          "keep_last_turns", "kv_shift", "on_full")
ON_FULL_LABELS = {"stop": "stop the reply", "shift": "shift the cache, go on", "compress": "compress, go on"}


@dataclass(frozen=True)
class CompressionChoice:
    """What the dialog returns: the new values, and whether config.toml keeps them too."""

    values: dict
    save: bool = False


def _percent(text: str, what: str) -> float:
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise UsageError(f"{what} must be a percentage between 1 and 100, got {text.strip()!r}") from None
    if not 1 <= value <= 100:
        raise UsageError(f"{what} must be between 1 and 100 %, got {value:g}")
    return value


def _count(text: str, what: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise UsageError(f"{what} must be a whole number, got {text.strip()!r}") from None
    if value < 0:
        raise UsageError(f"{what} cannot be negative")
    return value


def check_values(auto: bool, trigger: str, strategy: str, target: str, reserve: str, keep_turns: str,
                 kv_shift: str = "auto", on_full: str = "stop") -> dict:
    """The settings the dialog's fields describe; a UsageError names the first bad field."""
    values = {
        "auto_compress": bool(auto),
        "compress_trigger": _percent(trigger, "The trigger"),
        "compress_strategy": strategy,
        "compress_target": _percent(target, "The target"),
        "reply_reserve": _count(reserve, "The reply reserve"),
        "keep_last_turns": _count(keep_turns, "Turns kept"),
        "kv_shift": kv_shift,
        "on_full": on_full,
    }
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r}")
    if kv_shift not in KV_SHIFT_CHOICES or on_full not in ON_FULL_CHOICES:
        raise UsageError(f"unknown choice: kv_shift {kv_shift!r}, on_full {on_full!r}")
    if values["compress_target"] >= values["compress_trigger"]:
        raise UsageError("The target must be below the trigger, or the next message would compress again")
    return values


def _number(value: float) -> str:
    return f"{value:g}"


class CompressionSettingsScreen(OpensAtTheTop, SavesOnEnter, ModalScreen[CompressionChoice | None]):
    SAVE_BUTTON = "compress-settings-save"
    CSS_PATH = "tuning.tcss"
    BINDINGS = list(SETTINGS_DIALOG.bindings)

    def __init__(self, settings: Settings, focus: str = "auto") -> None:
        super().__init__()
        self.settings = settings
        self.focus_field = focus

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical(id="compress-settings-dialog", classes="tuning-dialog"):
            yield Static(Content.assemble(
                ("Automatic compression", "bold $text-primary"),
                ("   makes room before a message would pass the trigger; a message that would not fit "
                 "at all is always compressed", "$text-muted"),
            ), id="compress-settings-title")
            yield Checkbox("Compress automatically when a message would pass the trigger", s.auto_compress,
                           id="auto", compact=True, classes="tuning-check")
            with Horizontal(classes="tuning-row"):
                yield Label("Trigger (% of budget)", classes="tuning-label")
                yield Input(_number(s.compress_trigger), id="trigger", compact=True, classes="tuning-input")
            with Horizontal(classes="tuning-row"):
                yield Label("Strategy", classes="tuning-label")
                yield Select([(strategy_label(x), x) for x in STRATEGIES], value=s.compress_strategy,
                             allow_blank=False, compact=True, id="auto-strategy")
            with Horizontal(classes="tuning-row"):
                yield Label("Target (% of budget)", classes="tuning-label")
                yield Input(_number(s.compress_target), id="target", compact=True, classes="tuning-input")
            with Horizontal(classes="tuning-row"):
                yield Label("Reply reserve (tokens)", classes="tuning-label")
                yield Input(str(s.reply_reserve), id="reserve", compact=True, classes="tuning-input")
            with Horizontal(classes="tuning-row"):
                yield Label("Turns kept verbatim", classes="tuning-label")
                yield Input(str(s.keep_last_turns), id="keep-turns", compact=True, classes="tuning-input")
            yield Checkbox("Shift the KV cache instead of re-reading it (faster, not bit-exact)",
                           s.kv_shift == "auto", id="kv-shift", compact=True, classes="tuning-check")
            with Horizontal(classes="tuning-row"):
                yield Label("Reply fills the context", classes="tuning-label")
                yield Select([(ON_FULL_LABELS[x], x) for x in ON_FULL_CHOICES], value=s.on_full,
                             allow_blank=False, compact=True, id="on-full")
            yield Checkbox("Also save these as the defaults in config.toml", False, id="save-config", compact=True,
                           classes="tuning-check")
            yield Static(id="compress-settings-problem", classes="tuning-problem")
            with Horizontal(classes="tuning-buttons"):
                yield Button("Save (Ctrl+S)", variant="primary", id="compress-settings-save")
                yield Button("Cancel (Esc)", id="compress-settings-cancel")

    def on_mount(self) -> None:
        target = {"trigger": "#trigger", "strategy": "#auto-strategy"}.get(self.focus_field, "#auto")
        self.query_one(target).focus()

    @property
    def problem(self) -> str:
        return str(self.query_one("#compress-settings-problem", Static).content)

    def action_save(self) -> None:
        try:
            values = check_values(
                self.query_one("#auto", Checkbox).value,
                self.query_one("#trigger", Input).value,
                self.query_one("#auto-strategy", Select).value,
                self.query_one("#target", Input).value,
                self.query_one("#reserve", Input).value,
                self.query_one("#keep-turns", Input).value,
                "auto" if self.query_one("#kv-shift", Checkbox).value else "off",
                self.query_one("#on-full", Select).value,
            )
        except UsageError as err:
            self.query_one("#compress-settings-problem", Static).update(Content.styled(str(err), "$text-error"))
            return
        self.dismiss(CompressionChoice(values, self.query_one("#save-config", Checkbox).value))

    def action_close(self) -> None:
        self.dismiss(None)
