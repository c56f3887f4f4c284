"""One exception tree for everything rfclassify reports to a user.

The CLI turns any :class:`RFClassifyError` into one line on stderr and exit
status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class RFClassifyError(Exception):
    """Base of every error that is the user's input, not our bug."""


class InputError(RFClassifyError):
    """A file, argument or stream that cannot be used as given.

    The message names the file (or spec) and the problem in one line.
    """

    def __init__(self, where: object, problem: str) -> None:
        self.where = str(where)
        self.problem = problem
        super().__init__(f"{where}: {problem}" if where else problem)


class SourceUnavailable(RFClassifyError):
    """A live source (dongle, rtl_tcp server) cannot be reached right now."""


class MissingDependency(RFClassifyError):
    """A Python module or library a source needs is not installed: permanent, never retried.

    The message says what to install. A live node stops on it (exit status 2)
    where it retries a :class:`SourceUnavailable` receiver.
    """


class ModelError(RFClassifyError):
    """A model file that is missing, tampered with or incompatible."""
