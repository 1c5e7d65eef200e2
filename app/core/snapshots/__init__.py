"""Saved sessions: manifests, KV state files and the checks on both."""
