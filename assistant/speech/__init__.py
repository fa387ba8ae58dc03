"""Device adapters for sound: WAV and microphones, VAD, recognisers (asr/), the wake detector, TTS, cues and the voice; may import formats and text."""
