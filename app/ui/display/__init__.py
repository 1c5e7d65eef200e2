"""Presentation helpers: alert words, chart data, plotting, wrapping, themes."""
