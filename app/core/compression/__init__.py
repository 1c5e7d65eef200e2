"""Compression strategies, their plans, summaries and counters."""
