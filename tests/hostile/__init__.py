"""Hostile-input tests: schema fuzzing, oversized and malformed requests, CORS, error hygiene."""
