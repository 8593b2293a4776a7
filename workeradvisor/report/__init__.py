"""Renderers: one module per output format; they consume models only."""
