"""Errors about input: one printable line naming the file, the field and what is allowed.

The ground floor: imports nothing of the simulation. Scenario, log, targets and priors errors share
`InputError`, so the command line turns any of them into one line and exit status 2.
"""

import math
import reprlib
import sys
from typing import Any

MAX_MESSAGE = 1_000          # characters of an error message


def one_line(message: str) -> str:
    """`message` as one printable line of moderate length: control characters (a key or file name may
    hold a newline) are escaped, and the middle of an overlong message is cut."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(message))
    return text if len(text) <= MAX_MESSAGE else f"{text[:MAX_MESSAGE - 200]} ... {text[-195:]}"


def quote(value: Any) -> str:
    """A value's repr, shortened: errors quote what they got without echoing megabytes."""
    return _QUOTE.repr(value)


class _ShortRepr(reprlib.Repr):
    def repr_int(self, x, level):
        """An integer too long for Python to print (over 4,300 digits) is described, not printed."""
        if x.bit_length() > 3 * sys.get_int_max_str_digits():
            return f"an integer of about {int(x.bit_length() * math.log10(2)) + 1:,} digits"
        return super().repr_int(x, level)


_QUOTE = _ShortRepr(maxstring=60, maxother=60, maxlist=8, maxtuple=8, maxdict=8, maxlevel=3)


class InputError(Exception):
    """Bad input (a scenario, a log, a targets or priors file, an option): the message is one line."""

    def __init__(self, message: str):
        super().__init__(one_line(message))
