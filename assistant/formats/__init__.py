"""File formats and errors: the engine's events, the JSON-lines wire format, the safe YAML reader, the one error base; imports nothing else from assistant."""
