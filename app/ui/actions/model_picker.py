"""Switching models from the app: the picker, then a reload that keeps the conversation.

`ModelPickerActions` is mixed into the app. The list of models is read on the engine thread
(`OfferModels`); a pick goes through the same preview-compress-reload flow as a new n_ctx.
At start, with several models found and none named, the picker opens before anything loads.
"""

from __future__ import annotations

from pathlib import Path

from app.core.session import commands as cmd
from app.core.session.model_offer import ModelOffer
from app.core.session.runner import CommandFinished
from app.ui import bindings
from app.ui.engine_link.engine_guard import engine_idle
from app.ui.screens.context_size import ReloadRequest
from app.ui.screens.model_picker import ModelPickerScreen

START_HEADING = "Several models were found and none is set: pick the one to load (Esc loads the first)."


class ModelPickerActions:
    """The model picker's action and results, for `ContextWatchApp`."""

    def action_models(self) -> None:
        if self.screen is self.main and engine_idle(self, "switching models"):
            self.run_command(cmd.OfferModels(), self._models_offered)

    def _models_offered(self, event: CommandFinished) -> None:
        if event.ok:
            offer: ModelOffer = event.result
            self.push_screen(ModelPickerScreen(offer.catalog, offer.current),
                             lambda path: self._model_picked(offer, path))

    def _model_picked(self, offer: ModelOffer, path: Path | None) -> None:
        if path is None:
            return
        if offer.current is not None and path.resolve() == offer.current.resolve():
            self.main.set_status(f"{offer.setup.model} is the model loaded now: nothing changed")
            return
        found = offer.catalog.find(path)
        setup = offer.setup
        self._reload_chosen(ReloadRequest(setup.n_ctx, setup.type_k, setup.type_v, setup.flash_attn, offer.strategy,
                                          model_path=path, model_name=found.name if found else path.name))

    # ----- at start

    def pick_model_at_start(self) -> None:
        """Open the picker on the models found at start; the pick (or the first, on Esc) is loaded."""
        choice = self.start_choice
        catalog = self.start_catalog()
        self.main.set_status("pick a model to load", busy=False)
        self.push_screen(ModelPickerScreen(catalog, None, START_HEADING),
                         lambda path: self._start_model_picked(choice.path if path is None else path))

    def _start_model_picked(self, path: Path) -> None:
        found = self.start_catalog().find(path)
        name = found.name if found else path.name
        key = bindings.key_label(bindings.key_for("app.models", self.keymap))
        self.notify(f"Loading {name}. {key} picks another model at any time.", title="Model")
        self.run_command(cmd.Load(path))
