"""What is kept between nights: the SQLite journal, memory, variety and atomic file writes; may import formats, text, engine and loader."""
