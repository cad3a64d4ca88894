"""Text from outside (portal names, a supplied CSV) as plain printable text, the same rule everywhere.

Why removed rather than refused: a control character in a unit's name is a display defect of the
portal, not a wrong figure. Quarantining the body would drop a province's figures for a glitch in
a label; keeping the character lets it break every file it reaches (a NUL is valid JSON, but not
valid XML, so the xlsx and docx writers fail on it; a bidirectional override turns a name around on
screen). So the source contracts (``flows/sources/contract.py``) land names through
:func:`printable`, the raw body keeps the exact bytes for audit, and the report writers apply the
same rule again to whatever else reaches them (the certified-copies CSV, command-line text).

Removed: C0 and C1 control characters and DEL (tab, line feed and carriage return become a space,
so two words stay two words), lone UTF-16 surrogates (valid ``\\ud800`` escapes in JSON, not
characters), the non-characters U+FDD0–U+FDEF, U+FFFE, U+FFFF, and the bidirectional embedding,
override and isolate controls (U+202A–U+202E, U+2066–U+2069).
"""

from __future__ import annotations

import re

_SPACE_LIKE = re.compile(r"[\t\n\r]")
_NOT_PRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff\u202a-\u202e\u2066-\u2069]"
)


def printable(text: str) -> str:
    """``text`` without the characters listed in the module docstring (tab/LF/CR become spaces)."""
    if _NOT_PRINTABLE.search(text) is None:
        return text
    return _NOT_PRINTABLE.sub("", _SPACE_LIKE.sub(" ", text))


def has_unprintable(text: str) -> bool:
    """True when :func:`printable` would change ``text``."""
    return _NOT_PRINTABLE.search(text) is not None


def one_line(text: str) -> str:
    """``text`` safe to print as one line on a terminal: each character :func:`printable` would
    remove is shown escaped (``\\n``, ``\\x1b``) instead, so a hostile argument echoed in an error
    can neither break the line nor send escape sequences to the terminal."""
    if _NOT_PRINTABLE.search(text) is None:
        return text
    return _NOT_PRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
