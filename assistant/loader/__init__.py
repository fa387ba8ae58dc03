"""Dialog files loaded and checked (file, YAML, model; schema, references, templates) and scenario files; may import formats, text and engine."""
