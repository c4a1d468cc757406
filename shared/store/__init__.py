"""The session store: one instance per process, chosen by settings."""

from datetime import timedelta
from functools import lru_cache

from shared.settings import Settings, get_settings
from shared.store.base import SessionStore


def dynamodb_client(settings: Settings):
    # botocore directly: boto3.client() makes the very same client class, but importing boto3
    # also imports its resource layer and s3transfer, which this service never uses.
    # Imported here so the in-memory path (and its tests) never pays for botocore's import.
    from botocore.config import Config
    from botocore.session import get_session

    from shared.store import dynamodb_data

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "max_attempts": 3},  # botocore retries throttling itself
    )
    session = get_session()
    dynamodb_data.use(session, settings.botocore_data_dir)  # a faster cold start in Lambda
    return session.create_client(
        "dynamodb",
        region_name=settings.aws_region,
        endpoint_url=settings.dynamodb_endpoint_url,
        config=config,
    )


def build_store(settings: Settings) -> SessionStore:
    ttl = timedelta(hours=settings.session_ttl_hours)
    retention = timedelta(days=settings.audit_retention_days)
    if settings.session_store == "memory":
        from shared.store.memory import InMemorySessionStore

        return InMemorySessionStore(ttl=ttl, audit_retention=retention)
    from shared.store.dynamodb import DynamoDBSessionStore

    return DynamoDBSessionStore(
        dynamodb_client(settings), settings.table_name, ttl=ttl, audit_retention=retention
    )


@lru_cache(maxsize=1)
def get_store() -> SessionStore:
    """The process's store, created on first use (after test fixtures have set the scene)."""
    return build_store(get_settings())


__all__ = ["SessionStore", "build_store", "get_store"]
