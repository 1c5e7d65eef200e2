"""One chat session, its engine thread, reloads and the headless report."""
