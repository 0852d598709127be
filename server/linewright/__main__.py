"""`python -m linewright` is the `linewright` command."""

from linewright.cli import main

raise SystemExit(main())
