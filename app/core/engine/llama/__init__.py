"""The llama-cpp-python engine: the only code that imports `llama_cpp`."""
