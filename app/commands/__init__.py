"""Headless subcommands; each uses app.core only."""
