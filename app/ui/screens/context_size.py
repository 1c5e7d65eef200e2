"""Pick a context size (from the model's profile, or typed), the KV cache types and flash attention.

The modal returns a `ReloadRequest`; the app previews a compression when the conversation
would not fit, then reloads the model on the engine thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from app.core.compression.strategies import STRATEGIES
from app.core.config.profiles import ContextProfile
from app.core.errors import UsageError
from app.core.formatting import fmt_bytes, fmt_int
from app.core.session.context_offer import ContextOffer
from app.core.session.reload import ContextSetup
from app.core.sweep.run import SweepPoint, over_train_warning
from app.core.telemetry.kv_cache import kv_bytes
from app.ui.actions.early_keys import OpensOnItsOwn
from app.ui.bindings import BindingScope
from app.ui.screens.tuning_dialog import OpensAtTheTop
from app.ui.widgets.compression_controls import strategy_label

CONTEXT_DIALOG = BindingScope(
    "context_size",
    "Context size dialog",
    (
        Binding("ctrl+s", "reload", "Reload", id="context_size.reload"),
        Binding("escape", "close", "Cancel", id="context_size.cancel"),
    ),
)

CACHE_CHOICES = ("f16", "q8_0", "q4_0")
UNQUANTIZED_V = ("f16", "f32", "bf16")
V_NEEDS_FA = "A quantized V cache (q8_0, q4_0) needs flash attention: turn it on, or keep V at f16."


@dataclass(frozen=True)
class ReloadRequest:
    n_ctx: int
    type_k: str
    type_v: str
    flash_attn: bool
    strategy: str
    model_path: Path | None = None  # another model to load (the model picker's choice)
    model_name: str = ""

    @property
    def label(self) -> str:
        if self.model_path is not None:
            return f"{self.model_name} · n_ctx {fmt_int(self.n_ctx)}"
        fa = " · flash attention" if self.flash_attn else ""
        return f"n_ctx {fmt_int(self.n_ctx)} · {self.type_k}/{self.type_v}{fa}"


def setup_line(setup: ContextSetup) -> Content:
    fa = "on" if setup.flash_attn else "off"
    return Content.assemble(
        ("now  ", "$text-muted"), ("n_ctx ", "$text-muted"), (f"{fmt_int(setup.n_ctx)} ({setup.size_label})", "bold"),
        ("  ·  KV ", "$text-muted"), (f"{setup.type_k}/{setup.type_v}", "bold"), (f" · FA {fa}", "$text-muted"),
        ("\n     KV cache ", "$text-muted"), fmt_bytes(setup.kv_bytes), ("  ·  RSS ", "$text-muted"),
        fmt_bytes(setup.rss_bytes),
        ("  ·  budget ", "$text-muted"), fmt_int(setup.effective),
        ("  ·  tier ", "$text-muted"), f"{setup.tier} {setup.tier_name}",
    )


def size_prompt(profile: ContextProfile, current: int) -> Content:
    mark = ("  current", "bold $text-accent") if profile.size == current else ("", "")
    return Content.assemble(
        (fmt_int(profile.size).rjust(8), "bold"), (f"  {profile.size_label:>4}", "$text-muted"),
        (f"   tier {profile.tier} {profile.tier_name:<9}", ""), ("budget ", "$text-muted"),
        fmt_int(profile.effective_context_size), mark,
    )


def check_request(size_text: str, chosen: int | None, type_k: str, type_v: str, flash_attn: bool,
                  strategy: str) -> ReloadRequest:
    """The request the fields describe; a typed size wins over the list. A UsageError says what is wrong."""
    text = size_text.strip().replace(",", "").replace("_", "")
    if text:
        try:
            n_ctx = int(text)
        except ValueError:
            raise UsageError(f"the size must be a whole number of tokens, got {size_text.strip()!r}") from None
    elif chosen is not None:
        n_ctx = chosen
    else:
        raise UsageError("pick a size from the list or type one")
    if type_v not in UNQUANTIZED_V and not flash_attn:
        raise UsageError(V_NEEDS_FA)
    SweepPoint(n_ctx, type_k, type_v, flash_attn)  # the checks a load makes: size and cache types
    return ReloadRequest(n_ctx, type_k, type_v, flash_attn, strategy)


class ContextSizeScreen(OpensAtTheTop, OpensOnItsOwn, ModalScreen[ReloadRequest | None]):
    CSS_PATH = "tuning.tcss"
    BINDINGS = list(CONTEXT_DIALOG.bindings)

    def __init__(self, offer: ContextOffer) -> None:
        super().__init__()
        self.offer = offer

    def compose(self) -> ComposeResult:
        offer, setup = self.offer, self.offer.setup
        source = f"the {offer.profile_id} profile" if offer.profile_matched else (
            "the default profile (this model is not in the profiles file)")
        limit = f", up to its training context of {fmt_int(offer.n_ctx_train)}" if offer.n_ctx_train else ""
        with Vertical(id="context-dialog", classes="tuning-dialog"):
            yield Static(Content.assemble(
                ("Context size and KV cache", "bold $text-primary"),
                ("   the model reloads; the conversation is kept and re-evaluated", "$text-muted"),
            ), id="context-title")
            yield Static(setup_line(setup), id="context-now")
            yield Static(Content.styled(f"Sizes from {source}{limit}", "$text-muted"), id="context-source")
            yield OptionList(*(Option(size_prompt(p, setup.n_ctx), id=str(p.size)) for p in offer.sizes),
                             id="context-sizes")
            with Horizontal(classes="tuning-row"):
                yield Label("or type a size", classes="tuning-label")
                yield Input(placeholder="e.g. 3072 (a multiple of 256)", id="context-typed", compact=True,
                            classes="tuning-input-wide")
            with Horizontal(classes="tuning-row"):
                yield Label("K cache", classes="tuning-label")
                yield Select([(t, t) for t in CACHE_CHOICES], value=self._choice(setup.type_k), allow_blank=False,
                             compact=True, id="context-type-k")
                yield Label("V cache", classes="tuning-label-short")
                yield Select([(t, t) for t in CACHE_CHOICES], value=self._choice(setup.type_v), allow_blank=False,
                             compact=True, id="context-type-v")
            yield Checkbox("Flash attention (a quantized V cache needs it)", setup.flash_attn, id="context-fa",
                           compact=True, classes="tuning-check")
            with Horizontal(classes="tuning-row"):
                yield Label("If it does not fit", classes="tuning-label")
                yield Select([(f"compress: {strategy_label(s)}", s) for s in STRATEGIES],
                             value=offer.strategy if offer.strategy in STRATEGIES else "sliding",
                             allow_blank=False, compact=True, id="context-strategy")
            yield Static(id="context-estimate")
            yield Static(id="context-problem", classes="tuning-problem")
            with Horizontal(classes="tuning-buttons"):
                yield Button("Reload (Ctrl+S)", variant="primary", id="context-reload")
                yield Button("Cancel (Esc)", id="context-cancel")

    @staticmethod
    def _choice(cache_type: str) -> str:
        return cache_type if cache_type in CACHE_CHOICES else "f16"

    def on_mount(self) -> None:
        sizes = self.query_one(OptionList)
        current = [p.size for p in self.offer.sizes]
        if current:
            n_ctx = self.offer.setup.n_ctx
            bigger = [i for i, s in enumerate(current) if s > n_ctx]
            sizes.highlighted = current.index(n_ctx) if n_ctx in current else (bigger[0] if bigger else len(current) - 1)
            sizes.focus()
        else:
            self.query_one("#context-typed", Input).focus()
        self._update()

    # ----- live feedback

    def _fields(self) -> tuple[str, int | None, str, str, bool, str]:
        sizes = self.query_one(OptionList)
        chosen = None
        if sizes.highlighted is not None and self.offer.sizes:
            chosen = self.offer.sizes[sizes.highlighted].size
        return (
            self.query_one("#context-typed", Input).value, chosen,
            self.query_one("#context-type-k", Select).value, self.query_one("#context-type-v", Select).value,
            self.query_one("#context-fa", Checkbox).value, self.query_one("#context-strategy", Select).value,
        )

    def _update(self) -> None:
        """Show the KV cache size the choice would allocate, or what is wrong with it."""
        estimate = self.query_one("#context-estimate", Static)
        try:
            request = check_request(*self._fields())
        except UsageError as err:
            estimate.update(Content.styled(str(err), "$text-warning"))
            self.query_one("#context-reload", Button).disabled = True
            return
        self.query_one("#context-reload", Button).disabled = False
        n_layer, n_head_kv, dim_k, dim_v = self.offer.kv_shape
        size = kv_bytes(n_layer, request.n_ctx, n_head_kv, dim_k, dim_v, request.type_k, request.type_v)
        parts: list = [("KV cache at this setting: ", "$text-muted"), (fmt_bytes(size), "bold"),
                       ("  (now ", "$text-muted"), fmt_bytes(self.offer.setup.kv_bytes), (")", "$text-muted")]
        warning = over_train_warning(request.n_ctx, self.offer.n_ctx_train)
        if warning:
            parts += ["\n", (warning, "$text-warning")]
        estimate.update(Content.assemble(*parts))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._update()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._update()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._update()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._update()

    # ----- answers

    @property
    def problem(self) -> str:
        return str(self.query_one("#context-problem", Static).content)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_reload()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "context-reload":
            self.action_reload()
        else:
            self.action_close()

    def action_reload(self) -> None:
        try:
            request = check_request(*self._fields())
        except UsageError as err:
            self.query_one("#context-problem", Static).update(Content.styled(str(err), "$text-error"))
            return
        now = self.offer.setup
        if (request.n_ctx, request.type_k, request.type_v, request.flash_attn) == (
                now.n_ctx, now.type_k, now.type_v, now.flash_attn):
            self.query_one("#context-problem", Static).update(
                Content.styled("That is the setup loaded now: pick another size, cache type or flash attention.",
                               "$text-warning"))
            return
        self.dismiss(request)

    def action_close(self) -> None:
        self.dismiss(None)
