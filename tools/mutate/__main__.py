"""``python -m tools.mutate``: see :mod:`tools.mutate.cli`."""

import sys

from tools.mutate.cli import main

sys.exit(main())
