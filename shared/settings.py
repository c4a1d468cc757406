"""All configuration in one pydantic-settings object, read from the environment once per process."""

from datetime import datetime, timedelta
from functools import lru_cache

from pydantic import AnyHttpUrl, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Storage: "dynamodb" in Lambda and the local stack; "memory" is the zero-setup fallback.
    session_store: str = Field(default="dynamodb", pattern="^(dynamodb|memory)$")
    table_name: str = "chiffon-dashboard-sessions"
    dynamodb_endpoint_url: str | None = None  # set for DynamoDB Local
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    session_ttl_hours: int = Field(default=24 * 7, ge=1)
    # botocore's data cut to DynamoDB (shared/store/dynamodb_data.py), written by the build into
    # the dependencies layer; unset (locally): botocore's own data.
    botocore_data_dir: str | None = None

    orchestrator_url: AnyHttpUrl = AnyHttpUrl("http://localhost:8000")
    orchestrator_timeout_seconds: float = Field(default=30.0, gt=0)
    orchestrator_max_attempts: int = Field(default=3, ge=1, le=10)
    # All the orchestrator calls of one request, retries and waits included, end within this:
    # a hung orchestrator answers 504 after it, never after timeout x attempts x calls. About
    # what a person waits for locally; template.yaml sets what fits API Gateway's 30 s.
    request_budget_seconds: float = Field(default=10.0, gt=0)

    # Identity: with require_identity off (local development) a request without a caller
    # identity may act on any session; with it on, such a request is refused with 401.
    require_identity: bool = False
    dev_identity_header: str = "X-User-Id"

    cors_origins: list[str] = [
        "http://localhost:3000",
        "http://localhost:5173",
        "http://127.0.0.1:3000",
        "http://127.0.0.1:5173",
    ]

    # The Lambda functions' CloudWatch namespace (template.yaml sets one per stack). Powertools
    # reads the same variable, but has no default: a flush without a namespace raises.
    metrics_namespace: str = Field(
        default="ChiffonDashboard", min_length=1, validation_alias="POWERTOOLS_METRICS_NAMESPACE"
    )

    history_page_size: int = Field(default=50, ge=1, le=500)
    poll_interval_ms: int = Field(default=2000, ge=100)
    # Polls of a running plan answer from its status snapshot in the table, refreshed from the
    # orchestrator by one request per poll interval; off: every poll asks the orchestrator.
    status_snapshot: bool = True
    # A chat turn or approval that was cut off (a Lambda timeout, a store outage while undoing)
    # leaves its claim behind; after this long the claim no longer blocks the session.
    stale_claim_seconds: int = Field(default=120, ge=1)
    # A plan waiting for approval longer than this can no longer be approved (409 plan_expired):
    # what was planned a day ago may no longer hold. A modification makes a fresh plan.
    approval_ttl_seconds: int = Field(default=24 * 3600, ge=1)
    # A plan's audit trail is kept this long from the plan's creation, beyond its session: all
    # its entries expire together, so the trail never loses its start while its end remains.
    audit_retention_days: int = Field(default=90, ge=1)

    def approval_deadline(self, plan_created_at: datetime) -> datetime:
        """When a plan made at `plan_created_at` can no longer be approved."""
        return plan_created_at + timedelta(seconds=self.approval_ttl_seconds)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
