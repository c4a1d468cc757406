"""Who is calling: the verified claim wins; the dev header counts only where no identity is
required."""

from shared.identity import caller_from
from shared.settings import Settings

CLAIMS = {"requestContext": {"authorizer": {"jwt": {"claims": {"sub": "alice"}}}}}


def test_the_claim_wins_over_the_header():
    caller = caller_from(CLAIMS, {"X-User-Id": "mallory"}, Settings(require_identity=True))
    assert (caller.user_id, caller.verified) == ("alice", True)


def test_the_header_is_the_local_identity():
    assert caller_from(None, {"X-User-Id": "bob"}, Settings()).user_id == "bob"


def test_with_identity_required_a_token_without_sub_is_nobody_whatever_the_header_says():
    no_sub = {"requestContext": {"authorizer": {"jwt": {"claims": {"scope": "machine"}}}}}
    settings = Settings(require_identity=True)
    assert caller_from(no_sub, {"X-User-Id": "alice"}, settings).user_id is None
