"""The orchestrator, as this service sees it: an HTTP client and the shapes of its answers."""
