"""How engine events reach the UI thread, and the words for what the engine is doing."""
