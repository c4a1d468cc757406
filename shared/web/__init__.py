"""The HTTP edge: the two adapters (Powertools for Lambda, FastAPI locally) and what they share."""
