"""``python -m forecast`` is the ``forecast`` command."""

import sys

from .cli import main

sys.exit(main())
