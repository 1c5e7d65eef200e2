"""The conversation, its text, and the conversations kept on disk."""
