"""Biophysical and statistical baseline scorers; importing this registers them all."""
from . import pwm, statistical, thermo  # noqa: F401
