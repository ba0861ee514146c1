"""`python -m sim` is the `corridor` command."""

from sim.cli import main

main()
