"""llama.cpp calls that take microseconds, made without letting go of the GIL.

ctypes releases the GIL around every foreign call. Taking it back can wait a whole switch
interval while another thread (the dashboard's) runs Python, and a token makes several such
calls; only `llama_decode` runs long enough to be worth the hand-over.
"""

from __future__ import annotations

import ctypes
from functools import cache


@cache
def holding_gil(name: str, restype=None):
    """The llama.cpp function `name`, with llama-cpp-python's signature (or another `restype`), called under the GIL."""
    from llama_cpp import llama_cpp

    shared = llama_cpp._lib
    source = getattr(shared, name)
    function = getattr(ctypes.PyDLL(shared._name, handle=shared._handle), name)
    function.argtypes = source.argtypes
    function.restype = source.restype if restype is None else restype
    return function
