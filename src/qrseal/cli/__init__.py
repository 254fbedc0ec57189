"""The ``qrseal`` command line, over the public API only: ``main(argv) -> int``."""

from .main import main as main

__all__ = ["main"]
