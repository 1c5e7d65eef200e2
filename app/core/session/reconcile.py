"""Our count of a turn's prompt beside the server's: a server that truncated, or runs another n_ctx, is named."""

from __future__ import annotations

from app.core.engine.results import BackendReport


def reconcile(ours: int, report: BackendReport, n_ctx: int, exact: bool) -> tuple[str, ...]:
    """The disagreements worth an alert, each with its numbers; `exact` says our count is the server's own."""
    alerts = []
    theirs = report.prompt_tokens
    if report.truncated:
        kept = f"it kept {theirs:,}" if theirs is not None else "it did not say how many it kept"
        alerts.append(f"the server truncated the prompt: we sent {ours:,} tokens, {kept}")
    elif theirs is not None and exact and theirs != ours:
        if theirs < ours:
            alerts.append(f"the server read {theirs:,} prompt tokens where we sent {ours:,}: "
                          f"{ours - theirs:,} were dropped")
        else:
            alerts.append(f"the server counted {theirs:,} prompt tokens where we counted {ours:,}")
    if theirs is not None and report.generated is not None and theirs + report.generated > n_ctx:
        alerts.append(f"the server held {theirs + report.generated:,} tokens in a context it says holds {n_ctx:,}: "
                      "it runs a different n_ctx than it claims")
    if report.malformed_lines:
        alerts.append(f"{report.malformed_lines:,} malformed event line(s) from the server were skipped")
    return tuple(alerts)
