"""A llama_batch of one token kept for reuse: decoding a generated token is two array writes and one C call.

llama-cpp-python's `LlamaBatch.set_batch` fills its batch in a Python loop, five ctypes
attribute chains per token. This batch points at arrays of its own, so only the token and
its position change between calls; the sequence (0) and the request for logits never do.
"""

from __future__ import annotations

import ctypes


class OneTokenBatch:
    """One token of sequence 0, at an explicit position, with its logits requested."""

    def __init__(self) -> None:
        import llama_cpp

        self._token = (llama_cpp.llama_token * 1)()
        self._pos = (llama_cpp.llama_pos * 1)()
        self._n_seq_id = (ctypes.c_int32 * 1)(1)
        self._seq_id = (llama_cpp.llama_seq_id * 1)(0)
        self._seq_ids = (ctypes.POINTER(llama_cpp.llama_seq_id) * 1)(
            ctypes.cast(self._seq_id, ctypes.POINTER(llama_cpp.llama_seq_id)))
        self._logits = (ctypes.c_int8 * 1)(1)
        self._batch = llama_cpp.llama_batch(
            n_tokens=1, token=self._token, embd=None, pos=self._pos, n_seq_id=self._n_seq_id,
            seq_id=self._seq_ids, logits=self._logits,
        )
        self._llama_decode = llama_cpp.llama_decode

    def decode(self, ctx, token: int, pos: int) -> None:
        """Evaluate `token` at position `pos` in the context `ctx` (a `llama_context` pointer)."""
        self._token[0] = token
        self._pos[0] = pos
        code = self._llama_decode(ctx, self._batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")
