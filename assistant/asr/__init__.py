"""Speech recognisers behind one small interface (:mod:`assistant.asr.base`)."""
