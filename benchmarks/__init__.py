"""Ratio benchmarks against raw llama-cpp-python, run in one process, sides alternated."""
