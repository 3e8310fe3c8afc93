"""What goes wrong with an artefact action. Every message is for a person: what, and why."""

from __future__ import annotations


class ArtefactError(Exception):
    """An artefact action that did not happen."""


class ArtefactNotFound(ArtefactError):
    pass


class ArtefactRefused(ArtefactError):
    """Not allowed now, or not by this person. Recorded on the case as `kind` (unauthorised | refused | …)."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind
