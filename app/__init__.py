"""ContextWatch: watch and steer a local LLM's context window."""

__version__ = "0.5.0"
