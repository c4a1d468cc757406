"""Use cases: what each endpoint does, free of HTTP and of AWS details."""
