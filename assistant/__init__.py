"""Check-in: an offline voice coach for couples.

The heart is :mod:`assistant.engine`, a pure state machine over dialogs loaded by
:mod:`assistant.loader.dialogs`.  Everything that touches the outside world (microphone,
recognisers, speech synthesis, the journal) is a port wired by :mod:`assistant.home.session`.
"""

import os as _os

# numpy's BLAS (OpenBLAS) would start a thread a core that spins after each call: Whisper's
# feature extraction is one small matrix product, and the spinning doubled the CPU the wake
# phrase's second stage costs (measured: 4.5% of a core on speech instead of 2.5%).  Set
# before anything imports numpy; Whisper's own threads are ``asr.threads``.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
