"""Pure text work (meaning, matching, paraphrase judging, spoken days and times, the WordNet table); may import assistant.formats only, and no I/O."""
