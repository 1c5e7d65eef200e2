"""What of the KV cache a snapshot keeps, and what a restore promises."""

from app.core.snapshots.cache_match import promised_reuse, shortfall_reason, snapshot_cache

CONVERSATION = list(range(100, 140))  # 40 prompt ids; the last message starts at 30


def test_a_cache_that_is_the_conversation_is_kept_whole():
    assert snapshot_cache(CONVERSATION, CONVERSATION, 30).keep == 40


def test_a_cache_that_stops_short_keeps_what_it_has():
    kept = snapshot_cache(CONVERSATION[:12], CONVERSATION, 30)
    assert (kept.keep, kept.reason) == (12, None)


def test_a_cache_parting_inside_the_last_message_keeps_the_common_prefix():
    cached = CONVERSATION[:35] + [7, 8, 9]
    assert snapshot_cache(cached, CONVERSATION, 30).keep == 35


def test_a_cache_running_past_the_conversation_keeps_the_conversation():
    assert snapshot_cache(CONVERSATION + [1, 2, 3], CONVERSATION, 30).keep == 40


def test_a_cache_holding_other_work_keeps_nothing_and_says_why():
    cached = CONVERSATION[:5] + list(range(900, 950))
    kept = snapshot_cache(cached, CONVERSATION, 30)
    assert kept.keep == 0 and "from token 5 on they are not this conversation's" in kept.reason
    assert "none of them" in snapshot_cache([1, 2, 3], CONVERSATION, 30).reason
    assert snapshot_cache([], CONVERSATION, 30).reason == "the KV cache is empty"


def test_a_restore_promises_all_but_the_token_read_again_for_its_logits():
    assert promised_reuse(40, 40) == 39
    assert promised_reuse(35, 40) == 35


def test_a_shortfall_names_its_cause():
    assert "held 20 of the 40 tokens" in shortfall_reason(39, 20, 20, 40)
    assert "not this conversation's" in shortfall_reason(39, 12, 40, 40)
