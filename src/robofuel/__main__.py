"""``python -m robofuel`` runs the command line."""

from robofuel.cli import main

main()
