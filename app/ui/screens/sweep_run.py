"""Running a context-size sweep from the app: the setup dialog, then a progress dialog that can cancel.

`SweepSetupScreen` returns a `SweepRequest` whose points and fill core has already checked.
`SweepProgressScreen` shows the `SweepProgress` events the engine thread sends and sets the
cancel event on Esc; the app closes it when the sweep command finishes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static

from app.core.errors import UsageError
from app.core.sweep.run import parse_fill, sweep_points
from app.core.sweep.session_sweep import SweepProgress, SweepRequest
from app.ui.actions.early_keys import OpensOnItsOwn
from app.ui.bindings import BindingScope
from app.ui.screens.tuning_dialog import OpensAtTheTop

SWEEP_DIALOGS = BindingScope(
    "sweep_run",
    "Sweep dialogs",
    (
        Binding("ctrl+s", "run", "Run the sweep", id="sweep_run.run"),
        Binding("escape", "close", "Cancel", id="sweep_run.cancel"),
    ),
)


def check_sweep(sizes: str, cache_types: str, fill: str, flash_attn: bool) -> SweepRequest:
    """A UsageError names what is wrong; core parses every field."""
    if not sizes.strip():
        raise UsageError("type one or more sizes, e.g. 512,1024,2048")
    points = sweep_points(sizes, cache_types.strip() or "f16", flash_attn)
    return SweepRequest(tuple(points), parse_fill(fill.strip()))


class SweepSetupScreen(OpensAtTheTop, OpensOnItsOwn, ModalScreen[SweepRequest | None]):
    CSS_PATH = "tuning.tcss"
    BINDINGS = list(SWEEP_DIALOGS.bindings)

    def __init__(self, sizes: str, fill: float = 0.5) -> None:
        super().__init__()
        self.sizes = sizes
        self.fill = fill

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-setup-dialog", classes="tuning-dialog"):
            yield Static(Content.assemble(
                ("Context-size sweep", "bold $text-primary"),
                ("   loads the model once per setting, next to the one in use; the chat waits until it ends",
                 "$text-muted"),
            ), id="sweep-setup-title")
            with Horizontal(classes="tuning-row"):
                yield Label("Sizes (n_ctx)", classes="tuning-label")
                yield Input(self.sizes, id="sweep-sizes", compact=True, classes="tuning-input-wide")
            with Horizontal(classes="tuning-row"):
                yield Label("KV cache types", classes="tuning-label")
                yield Input("f16", placeholder="f16,q8_0 or q8_0/f16", id="sweep-types", compact=True,
                            classes="tuning-input-wide")
            with Horizontal(classes="tuning-row"):
                yield Label("Fill (0-1)", classes="tuning-label")
                yield Input(f"{self.fill:g}", id="sweep-fill", compact=True, classes="tuning-input")
            yield Checkbox("Flash attention (always on for a quantized V cache)", False, id="sweep-fa", compact=True,
                           classes="tuning-check")
            yield Static(id="sweep-setup-summary")
            yield Static(id="sweep-setup-problem", classes="tuning-problem")
            with Horizontal(classes="tuning-buttons"):
                yield Button("Run (Ctrl+S)", variant="primary", id="sweep-setup-run")
                yield Button("Cancel (Esc)", id="sweep-setup-cancel")

    def on_mount(self) -> None:
        self.query_one("#sweep-sizes", Input).focus()
        self._update()

    def _request(self) -> SweepRequest:
        return check_sweep(
            self.query_one("#sweep-sizes", Input).value, self.query_one("#sweep-types", Input).value,
            self.query_one("#sweep-fill", Input).value, self.query_one("#sweep-fa", Checkbox).value,
        )

    def _update(self) -> None:
        summary = self.query_one("#sweep-setup-summary", Static)
        try:
            request = self._request()
        except UsageError as err:
            summary.update(Content.styled(str(err), "$text-warning"))
            return
        labels = ", ".join(p.label for p in request.points)
        summary.update(Content.assemble(
            (f"{len(request.points)} setting{'s' if len(request.points) != 1 else ''}: ", "$text-muted"), labels,
        ))

    @property
    def problem(self) -> str:
        return str(self.query_one("#sweep-setup-problem", Static).content)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._update()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._update()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_run()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "sweep-setup-run":
            self.action_run()
        else:
            self.action_close()

    def action_run(self) -> None:
        try:
            request = self._request()
        except UsageError as err:
            self.query_one("#sweep-setup-problem", Static).update(Content.styled(str(err), "$text-error"))
            return
        self.dismiss(request)

    def action_close(self) -> None:
        self.dismiss(None)


class SweepProgressScreen(OpensAtTheTop, ModalScreen[None]):
    """Progress of a running sweep; Esc asks it to stop after the current step."""

    CSS_PATH = "tuning.tcss"
    BINDINGS = [b for b in SWEEP_DIALOGS.bindings if b.action == "close"]

    def __init__(self, request: SweepRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-progress-dialog", classes="tuning-dialog"):
            yield Static(Content.styled("Context-size sweep", "bold $text-primary"), id="sweep-progress-title")
            yield Static(Content.styled("starting…", "$text-muted"), id="sweep-progress-label")
            yield ProgressBar(total=1.0, show_eta=False, id="sweep-progress-bar")
            yield Static(Content.styled("Esc stops the sweep after the current step and shows what it measured",
                                        "$text-muted"), id="sweep-progress-keys")

    def show_progress(self, progress: SweepProgress) -> None:
        label = Content.assemble((f"{progress.done} / {progress.total}  ", "bold"), progress.label)
        self.query_one("#sweep-progress-label", Static).update(label)
        bar = self.query_one(ProgressBar)
        bar.update(total=progress.total, progress=progress.done)

    @property
    def cancelled(self) -> bool:
        return self.request.cancel.is_set()

    def action_close(self) -> None:
        if not self.request.cancel.is_set():
            self.request.cancel.set()
            self.query_one("#sweep-progress-keys", Static).update(
                Content.styled("stopping after the current step…", "$text-warning"))
