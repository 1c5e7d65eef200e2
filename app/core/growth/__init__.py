"""The per-turn context growth history and its reports."""
