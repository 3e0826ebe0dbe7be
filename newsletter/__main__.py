"""Entry point for `python -m newsletter`: the same command line as the `newsletter` script."""

from __future__ import annotations

from newsletter.cli import main

if __name__ == "__main__":
    main()
