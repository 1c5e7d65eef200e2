"""Our count of a prompt beside the server's: disagreements become alerts with their numbers."""

from __future__ import annotations

from app.core.engine.results import BackendReport
from app.core.session.reconcile import reconcile


def report(prompt_tokens=100, generated=20, **kw) -> BackendReport:
    return BackendReport(prompt_tokens=prompt_tokens, cached=0, evaluated=prompt_tokens, generated=generated, **kw)


def test_agreement_gives_no_alerts():
    assert reconcile(100, report(), 512, exact=True) == ()


def test_nothing_reported_gives_no_alerts():
    assert reconcile(100, report(prompt_tokens=None, generated=None), 512, exact=True) == ()


def test_truncation_names_both_numbers():
    (alert,) = reconcile(1200, report(prompt_tokens=500, truncated=True), 4096, exact=True)
    assert "truncated" in alert
    assert "1,200" in alert and "500" in alert


def test_truncation_without_the_servers_count_says_so():
    (alert,) = reconcile(1200, report(prompt_tokens=None, truncated=True), 4096, exact=True)
    assert "truncated" in alert and "1,200" in alert and "did not say" in alert


def test_truncation_is_alerted_even_when_our_count_is_an_estimate():
    alerts = reconcile(1200, report(prompt_tokens=500, truncated=True), 4096, exact=False)
    assert len(alerts) == 1 and "truncated" in alerts[0]


def test_exact_count_above_the_servers_says_how_many_were_dropped():
    (alert,) = reconcile(100, report(prompt_tokens=90), 512, exact=True)
    assert "90" in alert and "100" in alert
    assert "10 were dropped" in alert


def test_exact_count_below_the_servers_says_it_counted_more():
    (alert,) = reconcile(100, report(prompt_tokens=1_105), 4096, exact=True)
    assert "counted 1,105" in alert and "100" in alert
    assert "dropped" not in alert


def test_an_estimate_that_differs_gives_no_mismatch_alert():
    assert reconcile(100, report(prompt_tokens=90), 512, exact=False) == ()
    assert reconcile(100, report(prompt_tokens=130), 512, exact=False) == ()


def test_more_tokens_than_the_claimed_n_ctx_names_a_different_n_ctx():
    (alert,) = reconcile(500, report(prompt_tokens=500, generated=30), 512, exact=True)
    assert "different n_ctx" in alert
    assert "530" in alert and "512" in alert


def test_exactly_filling_n_ctx_is_no_alert():
    assert reconcile(500, report(prompt_tokens=500, generated=12), 512, exact=True) == ()


def test_different_n_ctx_is_alerted_for_estimates_too():
    (alert,) = reconcile(100, report(prompt_tokens=5_000, generated=100), 4_096, exact=False)
    assert "different n_ctx" in alert and "5,100" in alert and "4,096" in alert


def test_no_generated_count_gives_no_n_ctx_alert():
    assert reconcile(600, report(prompt_tokens=600, generated=None), 512, exact=True) == ()


def test_malformed_lines_are_counted():
    (alert,) = reconcile(100, report(malformed_lines=3), 512, exact=True)
    assert "3 malformed" in alert


def test_every_disagreement_is_alerted_together():
    alerts = reconcile(100, report(prompt_tokens=600, generated=10, malformed_lines=1), 512, exact=True)
    assert len(alerts) == 3
    assert "counted 600" in alerts[0]
    assert "different n_ctx" in alerts[1]
    assert "1 malformed" in alerts[2]
