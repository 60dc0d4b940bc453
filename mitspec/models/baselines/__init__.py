"""Biophysical and statistical baseline scorers: `BASELINES` maps each name to its factory."""
from . import oracle, sigma70, statistical, thermo  # noqa: F401 - each module adds its baselines to BASELINES
from .common import BASELINES

__all__ = ["BASELINES"]
