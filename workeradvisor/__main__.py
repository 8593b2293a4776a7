"""Allow ``python -m workeradvisor``."""

from workeradvisor.cli import main

main()
