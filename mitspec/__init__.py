"""mitspec: the Mechanistic Invariance Test as experiments-as-code."""
__version__ = "0.1.0"
