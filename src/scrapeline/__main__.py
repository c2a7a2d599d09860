"""`python -m scrapeline ...` is `scrapeline ...`."""

import sys

from scrapeline.pipeline.cli import main

sys.exit(main())
