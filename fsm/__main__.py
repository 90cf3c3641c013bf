"""``python -m fsm`` is the ``fsm`` command."""

from fsm.cli import main

raise SystemExit(main())
