"""Command implementations; cli.py registers them."""
