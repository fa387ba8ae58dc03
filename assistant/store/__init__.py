"""What is kept on disk: the SQLite journal and atomic file writes; may import formats, text, engine and loader."""
