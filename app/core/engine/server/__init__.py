"""The `Engine` protocol on a model server reached over HTTP: llama.cpp's llama-server or any OpenAI-compatible one."""
