"""Exit codes shared by every command (interfaces.md)."""

from typing import Final

SUCCESS: Final = 0
NEGATIVE: Final = 1
INPUT_ERROR: Final = 2
UNKNOWN: Final = 3
