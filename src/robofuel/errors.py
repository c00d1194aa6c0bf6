"""The one root exception of robofuel and its few subclasses.

Every error a user can cause (bad input, bad usage) is an :class:`InputError`: the CLI prints its message and exits
with code 2. Anything else deriving from :class:`RobofuelError` is a failure robofuel detected in itself or its
environment.
"""

from __future__ import annotations


class RobofuelError(Exception):
    """Root of every exception raised on purpose by robofuel."""


class InputError(RobofuelError):
    """Bad input or usage: a file that cannot be read, an unknown format, a malformed option.

    The message names the file, what is wrong and what to do; the CLI exits with code 2.
    """


class UnreadableRecording(InputError):
    """A recording that a reader recognised but could not read at all (or at all usefully)."""

    def __init__(self, path: str, problem: str, hint: str = "") -> None:
        self.path = path
        self.problem = problem
        self.hint = hint
        message = f"{path}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class MissingExtra(RobofuelError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(f"this needs the '{module}' package: pip install 'robofuel[{extra}]'")


class ValidationFailed(RobofuelError):
    """An episode or folder does not conform to the robofuel data standard."""


class StorageError(InputError):
    """A place robofuel must write cannot take it: a read-only lake, a full disk, a folder without permission.

    The message names the place, what happened and what to do; the CLI exits with code 2. Whatever the failed
    command had half-written is removed before this is raised.
    """


def describe_error(exc: BaseException) -> str:
    """An exception in one short line: its type and the first line of its message (at most 120 characters)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


class LakeBusy(InputError):
    """Another command holds a conflicting lease on the lake (``robofuel pack`` runs alone); the message names it
    (command, pid, host, start) and what to do. The CLI exits with code 2."""
