"""Tuning n_ctx from the app: a live reload that keeps the conversation, and a context-size sweep.

`ContextSizeActions` is mixed into the app. Reading the choices, previewing a compression,
reloading and sweeping all run on the engine thread through `run_command`;
`context_finished` receives each result as a `CommandFinished`.
"""

from __future__ import annotations

from functools import partial

from app.core.compression.strategies import CompressionPlan
from app.core.formatting import fmt_int
from app.core.session.context_offer import ContextOffer, context_offer
from app.core.session.reload import preview_reload, reload
from app.core.session.runner import CommandFinished
from app.core.sweep.session_sweep import SweepProgress, SweepRequest, sweep_in_engine
from app.ui.engine_link.engine_guard import engine_idle
from app.ui.screens.compression_preview import CompressionPreviewScreen
from app.ui.screens.context_size import ContextSizeScreen, ReloadRequest
from app.ui.screens.sweep import SweepScreen
from app.ui.screens.sweep_run import SweepProgressScreen, SweepSetupScreen
from app.ui.widgets.compression_controls import strategy_label
from app.ui.widgets.reload_compare import ReloadOutcome

OFFER = "context options"
SWEEP_OFFER = "sweep options"
RELOAD_PREVIEW = "reload preview"
RELOAD = "reload"
SWEEP = "sweep"
COMMANDS = (OFFER, SWEEP_OFFER, RELOAD_PREVIEW, RELOAD, SWEEP)
SWEEP_MAX_DEFAULT = 4096  # the sweep offers the profile's sizes up to this one


def default_sweep_sizes(offer: ContextOffer) -> str:
    sizes = [p.size for p in offer.sizes if p.size <= SWEEP_MAX_DEFAULT]
    return ",".join(str(n) for n in sizes or [offer.setup.n_ctx])


class ContextSizeActions:
    """Reload and sweep actions and results, for `ContextWatchApp`."""

    def action_context_size(self) -> None:
        if self.screen is self.main and engine_idle(self, "changing the context size"):
            self.run_command(OFFER, context_offer)

    def action_sweep(self) -> None:
        if self.screen is self.main and engine_idle(self, "running a sweep"):
            self.run_command(SWEEP_OFFER, context_offer)

    # ----- reload

    def _reload_chosen(self, request: ReloadRequest | None) -> None:
        if request is None or not engine_idle(self, "reloading"):
            return
        self.run_command(RELOAD_PREVIEW, lambda s: (request, preview_reload(
            s, request.n_ctx, request.type_k, request.type_v, request.flash_attn, request.strategy)))

    def _reload_previewed(self, request: ReloadRequest, plan: CompressionPlan | None) -> None:
        if plan is None:
            self._reload(request, None)
            return
        heading = (f"The conversation does not fit n_ctx {request.n_ctx:,} with room for a reply: "
                   f"it is compressed with {strategy_label(plan.strategy)} before the reload.")
        self.push_screen(CompressionPreviewScreen(plan, heading, "Compress and reload"),
                         partial(self._reload_confirmed, request, plan))

    def _reload_confirmed(self, request: ReloadRequest, plan: CompressionPlan, go: bool | None) -> None:
        if go:
            self._reload(request, plan)
        else:
            self.main.set_status("reload cancelled: nothing changed")

    def _reload(self, request: ReloadRequest, plan: CompressionPlan | None) -> None:
        if not engine_idle(self, "reloading"):
            return
        self.main.show_load_started()
        self.main.set_status(f"reloading at {request.label}…", busy=True)
        self.run_command(RELOAD, lambda s: reload(s, request.n_ctx, request.type_k, request.type_v,
                                                  request.flash_attn, plan))

    # ----- sweep

    def _sweep_chosen(self, request: SweepRequest | None) -> None:
        if request is None or not engine_idle(self, "running a sweep"):
            return
        self.push_screen(SweepProgressScreen(request))
        self.run_command(SWEEP, lambda s: sweep_in_engine(s, request))

    def show_sweep_progress(self, progress: SweepProgress) -> None:
        if isinstance(self.screen, SweepProgressScreen):
            self.screen.show_progress(progress)
        self.main.set_status(f"sweep · {progress.done}/{progress.total} · {progress.label}", busy=True)

    def _sweep_done(self, event: CommandFinished) -> None:
        cancelled = False
        if isinstance(self.screen, SweepProgressScreen):
            cancelled = self.screen.cancelled
            self.screen.dismiss(None)
        if not event.ok:
            return
        results = event.result or []
        if cancelled:
            self.notify(f"Sweep stopped: {len(results)} setting(s) measured.", severity="warning")
        if results:
            self.push_screen(SweepScreen(results))
        self.main.set_status(f"sweep done · {len(results)} setting(s)")

    # ----- results from the engine thread

    def context_finished(self, event: CommandFinished) -> None:
        if event.name not in COMMANDS or not self._showing():
            return
        if event.name == SWEEP:
            self._sweep_done(event)
        elif event.name == RELOAD:
            self.main.show_loaded()
            if event.ok:
                outcome = ReloadOutcome.from_result(event.result)
                self.main.show_reload(outcome)
                after = outcome.after
                self.notify(
                    f"Reloaded at n_ctx {fmt_int(after.n_ctx)} ({after.type_k}/{after.type_v}): "
                    f"{fmt_int(outcome.reevaluated)} tokens re-evaluated in {outcome.seconds:.2f} s.",
                    title="Context size",
                )
        elif not event.ok:
            return
        elif event.name == OFFER:
            self.push_screen(ContextSizeScreen(event.result), self._reload_chosen)
        elif event.name == SWEEP_OFFER:
            self.push_screen(SweepSetupScreen(default_sweep_sizes(event.result)), self._sweep_chosen)
        elif event.name == RELOAD_PREVIEW:
            self._reload_previewed(*event.result)
