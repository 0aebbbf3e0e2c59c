"""`python -m aiconsent` runs the command line."""

from aiconsent.cli.app import main

main()
