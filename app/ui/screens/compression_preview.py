"""The preview of a compression: what happens to each message, the prompt's tokens before and after,
and what re-syncing the KV cache would cost each way (shift, exact).

It returns True when the user applies the plan, False when they cancel. Nothing changes
until then: the plan was computed on the engine thread and is only shown here.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from app.core.compression.strategies import CompressionPlan, PlanItem
from app.core.formatting import fmt_int
from app.ui.actions.early_keys import OpensOnItsOwn
from app.ui.bindings import BindingScope
from app.ui.screens.tuning_dialog import OpensAtTheTop
from app.ui.widgets.compression_controls import strategy_label
from app.ui.widgets.sync_costs_view import SyncCostsView

PREVIEW = BindingScope(
    "compression_preview",
    "Compression preview",
    (
        Binding("a", "apply", "Apply", id="compression_preview.apply"),
        Binding("escape", "close", "Cancel", id="compression_preview.cancel"),
    ),
)

ACTION_STYLES = {"keep": "$text-muted", "drop": "bold $text-error", "cut": "bold $text-warning",
                 "summarize": "bold $text-accent"}
ACTION_WORDS = {"keep": "keep", "drop": "drop", "cut": "cut", "summarize": "summarize"}
SUMMARY_LINES = 4


def plan_line(item: PlanItem) -> Content:
    """One message of the plan: position, role, action, tokens before → after, the start of its text."""
    muted = item.action == "keep"
    tokens = fmt_int(item.tokens_before) if muted else f"{fmt_int(item.tokens_before)} → {fmt_int(item.tokens_after)}"
    return Content.assemble(
        (f"#{item.index}".ljust(5), "$text-muted"),
        (item.role.ljust(10), "$text-muted" if muted else "bold"),
        (ACTION_WORDS.get(item.action, item.action).ljust(11), ACTION_STYLES.get(item.action, "")),
        (tokens.rjust(15) + "  ", "$text-muted" if muted else "bold"),
        (item.preview, "$text-muted" if muted else ""),
    )


def plan_totals(plan: CompressionPlan) -> Content:
    counts = [(n, word) for word, n in (
        ("dropped", sum(i.action == "drop" for i in plan.items)),
        ("cut", sum(i.action == "cut" for i in plan.items)),
        ("summarized", sum(i.action == "summarize" for i in plan.items)),
    ) if n]
    done = ", ".join(f"{n} {word}" for n, word in counts) or "nothing to change"
    parts: list[tuple[str, str] | str] = [
        (done, "bold"), ("  ·  prompt ", "$text-muted"), (fmt_int(plan.tokens_before), "bold"), (" → ", "$text-muted"),
        (fmt_int(plan.tokens_after), "bold $text-success" if plan.saved > 0 else "bold"), (" tokens", "$text-muted"),
    ]
    if plan.saved > 0:
        parts += [("  (", "$text-muted"), (f"−{fmt_int(plan.saved)}", "$text-success"), (")", "$text-muted")]
    if plan.summary_tokens:
        parts += [("  ·  the summaries took ", "$text-muted"), (fmt_int(plan.summary_tokens), "bold"),
                  (" tokens of model work", "$text-muted")]
    return Content.assemble(*parts)


def new_summaries(plan: CompressionPlan) -> list[str]:
    """The text of the summary messages the plan adds."""
    old = {m.id for m in plan.before}
    return [m.content for m in plan.after if m.summary and m.id not in old]


class CompressionPreviewScreen(OpensAtTheTop, OpensOnItsOwn, ModalScreen[bool]):
    CSS_PATH = "tuning.tcss"
    BINDINGS = list(PREVIEW.bindings)

    def __init__(self, plan: CompressionPlan, heading: str | None = None, apply_label: str = "Apply") -> None:
        super().__init__()
        self.plan = plan
        self.heading = heading
        self.apply_label = apply_label

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="preview-dialog", classes="tuning-dialog"):
            yield Static(Content.assemble(
                ("Preview: ", "bold $text-primary"), (strategy_label(plan.strategy), "bold $text-primary"),
                ("   nothing changes until you apply it", "$text-muted"),
            ), id="preview-title")
            if self.heading:
                yield Static(Content.styled(self.heading, "$text-warning"), id="preview-heading")
            yield Static(plan_totals(plan), id="preview-totals", classes="-costed" if plan.costs else "")
            if plan.costs is not None:
                yield SyncCostsView(plan.costs, id="preview-costs")
            with VerticalScroll(id="preview-items"):
                yield Static(Content.assemble(
                    ("#".ljust(5), "$text-muted"), ("role".ljust(10), "$text-muted"), ("action".ljust(11), "$text-muted"),
                    ("tokens".rjust(15) + "  ", "$text-muted"), ("message", "$text-muted"),
                ), id="preview-head")
                yield Static(Content("\n").join(plan_line(item) for item in plan.items), id="preview-lines")
                for text in new_summaries(plan):
                    lines = text.splitlines()
                    shown = "\n".join(lines[:SUMMARY_LINES]) + ("\n…" if len(lines) > SUMMARY_LINES else "")
                    yield Static(Content.assemble(("new summary message\n", "bold $text-accent"), (shown, "")),
                                 classes="preview-summary")
            if plan.problem:
                yield Static(Content.styled(f"{strategy_label(plan.strategy)}: {plan.problem}", "$text-warning"),
                             id="preview-problem")
            elif not plan.changed:
                yield Static(Content.styled(
                    "This strategy has nothing to compress here: the history is already under its target, "
                    "or only protected messages (system prompt, pinned, summaries) are left.", "$text-warning"),
                    id="preview-nothing")
            with Horizontal(classes="tuning-buttons"):
                yield Button(f"{self.apply_label} (a)", variant="primary", id="preview-apply", disabled=not plan.changed)
                yield Button("Cancel (Esc)", id="preview-cancel")

    def on_mount(self) -> None:
        self.query_one("#preview-apply" if self.plan.changed else "#preview-cancel", Button).focus(scroll_visible=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "preview-apply":
            self.action_apply()
        else:
            self.action_close()

    def action_apply(self) -> None:
        if self.plan.changed:
            self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)
