"""Tuning n_ctx from the app: a live reload that keeps the conversation, and a context-size sweep.

`ContextSizeActions` is mixed into the app. Reading the choices, previewing a compression,
reloading and sweeping all run on the engine thread through `run_command`, and each
result comes back to the callback sent with its command.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from app.core.compression.strategies import CompressionPlan
from app.core.formatting import fmt_int
from app.core.session import commands as cmd
from app.core.session.context_offer import ContextOffer
from app.core.session.reload import ReloadOutcome
from app.core.session.runner import CommandFinished
from app.core.sweep.session_sweep import SweepProgress, SweepRequest
from app.ui.engine_link.engine_guard import engine_idle
from app.ui.engine_link.engine_status import progress_status
from app.ui.screens.compression_preview import CompressionPreviewScreen
from app.ui.screens.context_size import ContextSizeScreen, ReloadRequest
from app.ui.screens.sweep import SweepScreen
from app.ui.screens.sweep_run import SweepProgressScreen, SweepSetupScreen
from app.ui.widgets.compression_controls import strategy_label

SWEEP_MAX_DEFAULT = 4096  # the sweep offers the profile's sizes up to this one


def default_sweep_sizes(offer: ContextOffer) -> str:
    sizes = [p.size for p in offer.sizes if p.size <= SWEEP_MAX_DEFAULT]
    return ",".join(str(n) for n in sizes or [offer.setup.n_ctx])


class ContextSizeActions:
    """Reload and sweep actions and results, for `ContextWatchApp`."""

    def action_context_size(self) -> None:
        if self.screen is self.main and engine_idle(self, "changing the context size"):
            self.run_command(cmd.OfferContextSizes(), self._context_offered)

    def action_sweep(self) -> None:
        if self.screen is self.main and engine_idle(self, "running a sweep"):
            self.run_command(cmd.OfferSweep(), self._sweep_offered)

    # ----- reload

    def _reload_chosen(self, request: ReloadRequest | None) -> None:
        if request is None or not engine_idle(self, "reloading"):
            return
        self.run_command(cmd.PreviewReload(request.n_ctx, request.type_k, request.type_v, request.flash_attn,
                                           request.strategy, request.model_path),
                         partial(self._reload_previewed, request))

    def _reload_previewed(self, request: ReloadRequest, event: CommandFinished) -> None:
        if not event.ok:
            return
        plan: CompressionPlan | None = event.result
        if plan is None:
            self._reload(request, None)
            return
        model = f" of {request.model_name}" if request.model_path is not None else ""
        heading = (f"The conversation does not fit n_ctx {request.n_ctx:,}{model} with room for a reply: "
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
        self.run_command(cmd.Reload(request.n_ctx, request.type_k, request.type_v, request.flash_attn, plan,
                                    request.model_path), self._reloaded)

    # ----- sweep

    def _sweep_chosen(self, request: SweepRequest | None) -> None:
        if request is None or not engine_idle(self, "running a sweep"):
            return
        self.push_screen(SweepProgressScreen(request))
        self.run_command(cmd.Sweep(request), self._sweep_done)

    def show_sweep_progress(self, progress: SweepProgress) -> None:
        if isinstance(self.screen, SweepProgressScreen):
            self.screen.show_progress(progress)
        self.main.set_status(progress_status(self.engine_state), busy=True)

    def _sweep_done(self, event: CommandFinished) -> None:
        cancelled = False
        if isinstance(self.screen, SweepProgressScreen):
            cancelled = self.screen.cancelled
            self.screen.dismiss(None)
        if not event.ok:
            return
        results = list(event.result.results)
        if cancelled:
            self.notify(f"Sweep stopped: {len(results)} setting(s) measured.", severity="warning")
        if results:
            self.push_screen(SweepScreen(results))
        self.main.set_status(f"sweep done · {len(results)} setting(s)")

    # ----- results from the engine thread

    def _reloaded(self, event: CommandFinished) -> None:
        self.main.show_loaded()
        if event.ok:
            outcome: ReloadOutcome = event.result
            self.main.show_reload(outcome)
            after = outcome.after
            if outcome.before.model_file != after.model_file:
                name = after.model if outcome.before.model != after.model else Path(after.model_file).name
                self.notify(f"Now running {name} at n_ctx {fmt_int(after.n_ctx)}: the conversation is kept, "
                            f"{fmt_int(outcome.reevaluated)} tokens re-evaluated in {outcome.seconds:.2f} s.",
                            title="Model")
                return
            self.notify(
                f"Reloaded at n_ctx {fmt_int(after.n_ctx)} ({after.type_k}/{after.type_v}): "
                f"{fmt_int(outcome.reevaluated)} tokens re-evaluated in {outcome.seconds:.2f} s.",
                title="Context size",
            )

    def _context_offered(self, event: CommandFinished) -> None:
        if event.ok:
            self.push_screen(ContextSizeScreen(event.result), self._reload_chosen)

    def _sweep_offered(self, event: CommandFinished) -> None:
        if event.ok:
            self.push_screen(SweepSetupScreen(default_sweep_sizes(event.result)), self._sweep_chosen)
