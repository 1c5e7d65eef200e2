"""`run --compress STRATEGY`: the loaded history compressed with that strategy before the prompt is sent.

The strategy named is the one used: when it falls short of its target and the history and the
prompt would then not fit the context, the run is refused before anything changes, rather than
another strategy being swapped in. When it falls short but everything fits, the run goes on and
the one line that says why is returned.
"""

from __future__ import annotations

from app.core.conversations.prompt_text import clean_prompt
from app.core.errors import UsageError


def compress_before_prompt(session, strategy: str, prompt: str) -> str | None:
    """Apply `strategy` to the session's history; returns a line for the user, or None when it did what it says."""
    plan = session.preview_compression(strategy)
    if plan.problem:
        chat = [m.as_chat() for m in plan.after] + [{"role": "user", "content": clean_prompt(prompt)}]
        need = len(session.engine.prompt_ids(chat)) + session.reserve
        n_ctx = session.engine.n_ctx
        if need > n_ctx:
            raise UsageError(
                f"--compress {strategy} cannot make room: {plan.problem}; the history and the prompt need {need:,} "
                f"tokens with the reply's reserve, and the context holds {n_ctx:,}")
    if plan.changed:
        session.apply_compression(plan)
    if plan.problem:
        return f"--compress {strategy}: {plan.problem}; going on, since the prompt fits"
    if not plan.changed:
        return f"--compress {strategy}: nothing to compress (the history is {plan.tokens_before:,} tokens)"
    return None
