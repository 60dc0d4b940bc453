from ..errors import MitspecError


class ModelError(MitspecError):
    """A model that cannot be used: one sentence naming the file and the fix."""
