"""lccode: offline auto-coding of Learning Community transcripts."""

__version__ = "0.1.0"
