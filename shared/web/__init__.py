"""The HTTP edge every endpoint group shares: dependencies, error mapping, app assembly."""
