"""`python -m sim` is the `kiosk-sim` command."""

import sys

from sim.cli import main

sys.exit(main())
