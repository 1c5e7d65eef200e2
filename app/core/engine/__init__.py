"""The engine seam: what a session needs from a model, and the model-agnostic prompt work."""
