"""The argument check the renderer and the scanner share. Internal."""

from __future__ import annotations

from ..errors import InvalidArgument

__all__ = ["check_int"]


def check_int(name: str, value: object, low: int, high: int) -> int:
    """``value`` if it is an int (not a bool) in ``low..high``, else InvalidArgument."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(f"{name} must be an int in {low}..{high}, got {value!r}")
    return value
