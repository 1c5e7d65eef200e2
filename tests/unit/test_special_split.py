"""Cutting a long prompt before a special token: where the cuts go, and which tokens are safe to cut before."""

from __future__ import annotations

from app.core.engine.special_split import blocks, most_frequent, safe_marker

SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]


def test_blocks_start_at_the_marker_and_join_back_to_the_text():
    text = "".join(f"<|im_start|>user\nmessage {i}<|im_end|>\n" for i in range(500))
    parts = blocks(text, "<|im_start|>", size=1000)
    assert "".join(parts) == text
    assert len(parts) > 5 and all(p.startswith("<|im_start|>") for p in parts)
    assert all(len(p) >= 1000 for p in parts[:-1])


def test_a_short_text_or_one_without_the_marker_stays_whole():
    assert blocks("short", "<|im_start|>", size=1000) == ["short"]
    assert blocks("x" * 5000, "<|im_start|>", size=1000) == ["x" * 5000]


def test_a_marker_another_special_token_overlaps_is_not_safe():
    assert safe_marker("<|im_start|>", False, SPECIALS)
    assert not safe_marker("<|im_start|>", True, SPECIALS)  # it would take the whitespace before it
    assert not safe_marker("<|im_start|>", False, SPECIALS + ["<|im_start|>assistant"])
    assert not safe_marker("<|im_start|>", False, SPECIALS + ["x<|im"])
    assert not safe_marker("<|im_start|>", False, SPECIALS + ["|>y"])
    assert not safe_marker(" <s>", False, SPECIALS)


def test_the_marker_is_the_most_frequent_special_token():
    head = "<|im_start|>a<|im_end|><|im_start|>b<|im_end|><|im_start|>"
    assert most_frequent(head, SPECIALS) == "<|im_start|>"
    assert most_frequent("plain text", SPECIALS) is None
