class ModelError(Exception):
    """A model that cannot be used: one sentence naming the file and the fix."""
