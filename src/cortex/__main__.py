"""`python -m cortex` runs the CLI."""

from cortex.cli import main

main()
