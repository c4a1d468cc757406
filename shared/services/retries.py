"""The one retry rule of the use cases: when another request changed the session or plan between
our read and our conditional write, read again and redo the step (a few times, then 409)."""

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from shared.errors import ConcurrentChange, StoreUnavailable

ATTEMPTS = 3

on_concurrent_change = retry(
    retry=retry_if_exception_type(ConcurrentChange),
    stop=stop_after_attempt(ATTEMPTS),
    reraise=True,
)

# For a write that must not be lost (the task ids of a run, given only once): a store fault is
# tried a few more times than botocore's own retries, with a short backoff.
on_store_fault = retry(
    retry=retry_if_exception_type(StoreUnavailable),
    stop=stop_after_attempt(ATTEMPTS),
    wait=wait_exponential(multiplier=0.2, max=1.0),
    reraise=True,
)
