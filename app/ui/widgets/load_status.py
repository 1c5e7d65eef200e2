"""Model loading: stage and progress while the engine thread loads, then the model line."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import ProgressBar, Static


class LoadStatus(Vertical):
    DEFAULT_CSS = """
    LoadStatus { height: auto; padding: 0 1; }
    LoadStatus > ProgressBar { width: 1fr; }
    LoadStatus.-done { display: none; }
    LoadStatus.-failed > ProgressBar { display: none; }
    LoadStatus.-failed > Static { color: $text-error; }
    """

    stage: reactive[str] = reactive("starting")
    fraction: reactive[float] = reactive(0.0)
    failed: reactive[str | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield Static(id="load-stage")
        yield ProgressBar(total=1.0, show_eta=False, id="load-bar")

    def on_mount(self) -> None:
        self._show()

    def watch_stage(self) -> None:
        self._show()

    def watch_fraction(self) -> None:
        self._show()

    def watch_failed(self) -> None:
        self._show()

    def finish(self) -> None:
        self.add_class("-done")

    def restart(self) -> None:
        """A new load, such as a reload at another n_ctx: show the progress again."""
        self.remove_class("-done")
        self.stage = "starting"
        self.fraction = 0.0

    def _show(self) -> None:
        if not self.is_mounted:
            return
        label = self.query_one("#load-stage", Static)
        if self.failed is not None:
            self.add_class("-failed")
            label.update(f"The model did not load: {self.failed}")
            return
        label.update(f"Loading the model: {self.stage}")
        self.query_one("#load-bar", ProgressBar).update(progress=self.fraction)
