"""How the UI words what a KV cache sync did or would cost: counts from core, rendered as Content."""

from __future__ import annotations

from textual.content import Content

from app.core.engine.sync_costs import SyncCosts, WayCost
from app.core.formatting import fmt_int

MUTED = "$text-muted"


def sync_count_parts(reused: int, shifted: int, evaluated: int, evaluated_word: str = "re-evaluated",
                     then: str = "") -> list[tuple[str, str]]:
    """The styled pieces of '312 reused · 186 shifted · 1 re-evaluated' (shifted only when some were),
    `then` following the last word."""
    parts: list[tuple[str, str]] = [(fmt_int(reused), "bold $text-success"), (" reused · ", MUTED)]
    if shifted:
        parts += [(fmt_int(shifted), "bold $text-accent"), (" shifted · ", MUTED)]
    parts += [(fmt_int(evaluated), "bold $text-warning"), (f" {evaluated_word}{then}", MUTED)]
    return parts


def sync_counts_plain(reused: int, shifted: int, evaluated: int) -> str:
    """'312 tokens reused, 186 shifted, 1 evaluated' for the status line."""
    moved = f", {shifted:,} shifted" if shifted else ""
    return f"{reused:,} tokens reused{moved}, {evaluated:,} evaluated"


def _way(way: WayCost, estimate: bool) -> Content:
    if way.way == "shift" and way.note and not way.kept:
        return Content.assemble((way.way, "bold"), (" not available", MUTED))
    tokens = f"{'≈' if estimate else ''}{fmt_int(way.tokens)} token{'' if way.tokens == 1 else 's'}"
    parts: list[tuple[str, str]] = [(way.way, "bold"), (" ", ""), (tokens, "bold $text-warning")]
    if way.seconds is not None:
        parts += [(" · ", MUTED), (f"{way.seconds:.1f} s", "bold")]
    if way.chosen:
        parts += [("  (taken)", "bold $text-accent")]
    return Content.assemble(*parts)


def costs_line(costs: SyncCosts, stacked: bool = False) -> Content:
    """'KV cache: shift 1 token · 0.0 s  (taken) │ exact 557 tokens · 1.9 s', then why shift is not taken, if it says.

    `stacked` puts each way on a line of its own, for a narrow dialog.
    """
    ways = [_way(w, costs.estimate) for w in costs.ways]
    if stacked:
        lines = [Content.styled("KV cache, each way:", MUTED), *(Content.assemble("  ", way) for way in ways)]
    else:
        lines = [Content.assemble(("KV cache: ", MUTED), Content.styled(" │ ", MUTED).join(ways))]
    if costs.rate is None:
        lines.append(Content.styled("seconds once a prefill has been measured", MUTED))
    notes = [w for w in costs.ways if w.note]
    lines += [Content.assemble((f"{w.way}: ", MUTED), (w.note, "$text-warning")) for w in notes]
    return Content("\n").join(lines)
