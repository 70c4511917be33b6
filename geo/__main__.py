"""``python -m geo`` — see :mod:`geo.cli.main`."""

import sys

from geo.cli.main import main

sys.exit(main())
