"""Server: where the model runs, whether it answers, its slots, queue and throughput, and what it counted.

Shown only for a model on a server. The status comes from the server monitor's polls, the
turn facts from the server's own report of the last request, beside our count of the prompt.
"""

from __future__ import annotations

from textual.content import Content

from app.core.engine.capabilities import BackendInfo
from app.core.events import BackendReported, ServerStatus
from app.core.formatting import DASH, fmt_int
from app.ui.widgets.bars import LABEL, badge, header, row
from app.ui.widgets.latency_panel import fmt_rate
from app.ui.widgets.text_block import LivePanel


def _n(value: int | None) -> str:
    return DASH if value is None else fmt_int(value)


class ServerPanel(LivePanel):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.backend: BackendInfo | None = None
        self.status: ServerStatus | None = None
        self.reported: BackendReported | None = None
        self.display = False  # until a model on a server is connected

    def show_backend(self, backend: BackendInfo | None) -> None:
        self.backend = backend
        self.display = backend is not None and backend.remote
        self.redraw()

    def show_status(self, status: ServerStatus) -> None:
        self.status = status
        self.redraw()

    def show_reported(self, reported: BackendReported) -> None:
        self.reported = reported
        self.redraw()

    def draw(self, width: int) -> Content:
        backend = self.backend
        if backend is None:
            return Content.assemble(header("SERVER", "", width), "\n", (DASH, LABEL))
        status = self.status
        if status is None:
            state = badge("…", "$primary")
        elif status.online:
            state = badge("ONLINE", "$success")
        else:
            state = badge("OFFLINE", "$error")
        lines = [header("SERVER", state, width), Content.styled(backend.kind, "bold"),
                 Content.styled(backend.where, LABEL)]
        if status is not None and not status.online and status.problem:
            lines.append(Content.styled(status.problem, "$text-error"))
        if status is not None and status.online:
            slots = DASH if status.slots_busy is None else f"{status.slots_busy}/{status.total_slots} busy"
            lines += [
                row(("slots", slots), ("queue", _n(status.requests_deferred))),
                row(("running", _n(status.requests_processing)), ("max", _n(status.n_tokens_max))),
                row(("decode", fmt_rate(status.decode_tps)), ("", Content.styled("now", LABEL))),
                row(("generated", _n(status.generated_total)), ("", Content.styled("all clients", LABEL))),
            ]
            cached, read = status.cached_tokens_total or 0, status.prompt_tokens_total or 0
            if cached + read:
                lines.append(row(("cache hit", f"{100 * cached / (cached + read):.0f}%"), ("of", fmt_int(cached + read))))
        lines += self._turn_lines()
        for feature, _why in backend.unavailable:
            lines.append(Content.assemble((f"{feature}: ", LABEL), ("not available", "$text-warning")))
        return Content("\n").join(lines)

    def _turn_lines(self) -> list[Content]:
        reported = self.reported
        if reported is None:
            return []
        r = reported.report
        exact = self.backend is not None and self.backend.exact_counts
        if r.prompt_tokens is None:
            verdict = Content.styled("not reported", LABEL)
        elif not exact:
            verdict = Content.styled(f"ours ≈{fmt_int(reported.our_prompt_tokens)}", LABEL)
        elif r.prompt_tokens == reported.our_prompt_tokens and not reported.alerts:
            verdict = Content.styled("✓ agrees", "$text-success")
        else:
            verdict = Content.styled(f"≠ ours {fmt_int(reported.our_prompt_tokens)}", "$text-error")
        lines = [
            Content.styled("last turn, as the server saw it", "bold"),
            row(("prompt", _n(r.prompt_tokens)), ("", verdict)),
            row(("cache_n", _n(r.cached)), ("new", _n(r.evaluated))),
            row(("prefill", fmt_rate(r.prompt_per_second))),
            row(("decode", fmt_rate(r.predicted_per_second))),
        ]
        lines += [Content.styled(f"⚠ {alert}", "$text-warning") for alert in reported.alerts]
        return lines
