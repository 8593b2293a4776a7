"""Raises at import, as an app with a missing setting does: uvicorn exits before answering."""

raise RuntimeError("DATABASE_URL is not set")

app = None  # never reached
