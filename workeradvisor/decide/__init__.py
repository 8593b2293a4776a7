"""The decision engine: metrics -> decision tree -> capacity model -> recommendation (pure code)."""
