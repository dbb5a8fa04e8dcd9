"""``python -m xueji_rules``: the ``xueji`` command."""

import sys

from .cli import main

sys.exit(main())
