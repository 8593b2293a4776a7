"""workeradvisor: measured advice on uvicorn worker counts for async Python services."""

__version__ = "0.1.0"
