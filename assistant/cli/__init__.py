"""The checkin commands (parsing and exit codes, one module per command family); may import anything."""
