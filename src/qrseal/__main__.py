"""``python -m qrseal``: the ``qrseal`` command."""

import sys

from qrseal.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
