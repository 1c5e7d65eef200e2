"""The context-size sweep and its reports."""
