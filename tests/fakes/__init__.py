"""Small deterministic stand-ins for the model, shared by tests in any folder."""
