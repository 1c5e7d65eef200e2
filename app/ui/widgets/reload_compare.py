"""After a live reload: n_ctx, cache types, KV bytes, RSS, effective budget and tier, before → after."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from app.core.formatting import fmt_bytes, fmt_int
from app.core.session.reload import ContextSetup, ReloadOutcome
from app.ui.widgets.bars import LABEL, header

BEFORE_WIDTH = 14


def cache_text(setup: ContextSetup) -> str:
    return f"{setup.type_k}/{setup.type_v}" + (" FA" if setup.flash_attn else "")


def compare_rows(outcome: ReloadOutcome) -> list[tuple[str, str, str]]:
    """(label, before, after) for each figure the panel compares."""
    b, a = outcome.before, outcome.after
    return [
        ("n_ctx", f"{fmt_int(b.n_ctx)} ({b.size_label})", f"{fmt_int(a.n_ctx)} ({a.size_label})"),
        ("KV type", cache_text(b), cache_text(a)),
        ("KV bytes", fmt_bytes(b.kv_bytes), fmt_bytes(a.kv_bytes)),
        ("RSS", fmt_bytes(b.rss_bytes), fmt_bytes(a.rss_bytes)),
        ("effective", fmt_int(b.effective), fmt_int(a.effective)),
        ("tier", f"{b.tier} {b.tier_name}", f"{a.tier} {a.tier_name}"),
    ]


class ReloadComparePanel(Widget):
    DEFAULT_CSS = """
    ReloadComparePanel { height: auto; display: none; }
    ReloadComparePanel.-shown { display: block; }
    """

    outcome: reactive[ReloadOutcome | None] = reactive(None, layout=True)

    def watch_outcome(self, outcome: ReloadOutcome | None) -> None:
        self.set_class(outcome is not None, "-shown")

    def render(self) -> Content:
        width = self.content_size.width or 40
        o = self.outcome
        if o is None:
            return Content("")
        right = Content.assemble((fmt_int(o.reevaluated), "bold"), (f" re-evaluated · {o.seconds:.2f} s", LABEL))
        lines = [
            header("RELOADED", right, width),
            Content.assemble((" " * 10 + "before".ljust(BEFORE_WIDTH), LABEL), ("   after", LABEL)),
        ]
        for label, before, after in compare_rows(o):
            changed = before != after
            lines.append(Content.assemble(
                (label.ljust(10), LABEL), (before.ljust(BEFORE_WIDTH), "" if changed else LABEL),
                (" → ", LABEL), (after, "bold $text-accent" if changed else LABEL),
            ))
        return Content("\n").join(lines)
