"""Training mitspec's bundled gLMs (the `train` extra) and the quality bars they must beat."""
