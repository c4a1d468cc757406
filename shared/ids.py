"""Id checks: anything that is not a UUID is unknown, and never reaches DynamoDB."""

import uuid


def canonical_uuid(value: str) -> str | None:
    """The canonical lowercase form of a UUID, or None when `value` is not one."""
    try:
        return str(uuid.UUID(value.strip()))
    except (ValueError, AttributeError):
        return None
