"""``python -m copytrace``: the command line, as the ``copytrace`` script runs it."""

from copytrace.cli import main

main()
