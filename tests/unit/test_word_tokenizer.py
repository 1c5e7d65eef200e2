"""The word tokenizer the compression tests count with: one token a word, two a message for the template."""

from __future__ import annotations

from fakes.word_tokenizer import TEMPLATE_TOKENS, WordEngine, history, word_tokenizer, words


def test_each_message_costs_its_words_and_the_template_and_the_costs_add_up_to_the_prompt():
    messages = history(words(4, "s"), words(10), words(3, "x"))
    assert [m.tokens for m in messages] == [4 + TEMPLATE_TOKENS, 10 + TEMPLATE_TOKENS, 3 + TEMPLATE_TOKENS]
    tok = word_tokenizer()
    assert tok.prompt_tokens(messages) == sum(m.tokens for m in messages) + 1  # the reply's header


def test_text_goes_to_ids_and_back():
    tok = word_tokenizer(WordEngine())
    ids = tok.content_ids("the moon  and\nthe tides")
    assert len(ids) == 5 and ids[0] == ids[3]
    assert tok.text(ids) == "the moon and the tides"
