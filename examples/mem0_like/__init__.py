"""mem0-like memory service: async API over an embedding service, a vector store and an LLM (see app.py)."""
