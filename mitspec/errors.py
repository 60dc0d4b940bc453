"""The one base of every error a user can cause (a bad spec, plan, model, score file...).

The CLI catches `MitspecError` once: it prints `render()` and exits with `exit_code`,
never a traceback. Anything else that escapes is a bug in mitspec and keeps its
traceback, so it gets reported.
"""
from __future__ import annotations


class MitspecError(Exception):
    """A problem with the user's input or environment, said in one sentence with the fix."""

    exit_code = 2

    def render(self) -> str:
        return f"error: {self}"


class ModelError(MitspecError):
    """A model that cannot be used: one sentence naming the file and the fix."""
