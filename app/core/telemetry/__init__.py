"""Live numbers: latency, memory, GPU, context usage and the KV cache's size."""
