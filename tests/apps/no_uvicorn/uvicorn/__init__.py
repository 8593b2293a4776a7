"""Shadows uvicorn on PYTHONPATH to stand in for an environment without it (acceptance 1)."""

raise ModuleNotFoundError("No module named 'uvicorn'", name="uvicorn")
