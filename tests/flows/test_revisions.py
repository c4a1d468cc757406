"""Revisions with a diff (issue 17) over real modifications made by the stand-in, on both hosts
and both stores: each modification, by chat or by /modify, makes a new plan linked to the one it
replaces, its view carries the diff, and the assistant's reply says what changed. Only the
current revision can be approved."""

REQUEST = "back up the database and deploy the api service to staging"
TARGETS = ["database", "api", "service", "staging"]  # what the stand-in plans it for


def _parameters_changed(before: list[str], after: list[str]) -> list[dict]:
    return [
        {
            "name": name,
            "changes": {
                "parameters": {
                    "before": {"targets": before},
                    "after": {"targets": after},
                    "more_keys": 0,
                }
            },
        }
        for name in ("Back up data", "Run test suite")
    ]


async def _view(dashboard, plan_id: str, user: str = "alice"):
    return await dashboard.client.get(f"/api/dashboard/plan/{plan_id}", headers=dashboard.as_(user))


async def test_each_modification_is_a_linked_revision_with_its_diff_in_the_view_and_the_reply(
    dashboard,
):
    session_id = await dashboard.new_session()
    first = (await dashboard.chat(session_id, REQUEST)).json()["plan"]
    assert [s["name"] for s in first["steps"]] == ["Back up data", "Deploy service"]
    assert (first["revision"], first["previous_plan_id"], first["diff"]) == (1, None, None)

    # By chat: the stand-in adds its test step between the two.
    turn = (await dashboard.chat(session_id, "also run the tests")).json()
    second = turn["plan"]
    assert (second["revision"], second["previous_plan_id"]) == (2, first["plan_id"])
    assert second["diff"] == {
        "previous_plan_id": first["plan_id"],
        "previous_revision": 1,
        "added": [
            {"name": "Run test suite", "work_type": "test", "estimated_duration": "~3 minutes"}
        ],
        "removed": [],
        # The deployment moved down one place, but not against the others; it now waits for
        # the tests rather than the backup.
        "changed": [
            {
                "name": "Deploy service",
                "changes": {
                    "depends_on": {
                        "before": ["Back up data"],
                        "after": ["Run test suite"],
                        "more_keys": 0,
                    }
                },
            }
        ],
        "more_added": 0,
        "more_removed": 0,
        "more_changed": 0,
        "duration": {"before": "~7 minutes", "after": "~10 minutes"},
        "risk": {"before": "low", "after": "medium"},
    }
    assert turn["messages"][1]["content"].startswith(
        "Here is the updated plan. Revision 2: added 1 step (Run test suite); changed 1 step "
        "(Deploy service: depends on Back up data -> Run test suite); "
        "duration ~7 minutes -> ~10 minutes; risk low -> medium.\n\n"
    )
    stored = (await _view(dashboard, second["plan_id"])).json()
    assert (stored["revision"], stored["diff"]) == (2, second["diff"])
    replaced = (await _view(dashboard, first["plan_id"])).json()
    assert (replaced["status"], replaced["revision"], replaced["diff"]) == ("superseded", 1, None)

    # By /modify: the deployment goes. The stand-in also takes "changes" (from the "Changes asked
    # before:" the modification text carries) as one more target of the steps that remain.
    answer = await dashboard.act(
        second["plan_id"],
        "modify",
        session_id,
        extra={"plan_id": second["plan_id"], "user_message": "do not deploy it after all"},
    )
    assert answer.status_code == 200, answer.text
    third = answer.json()["new_plan"]
    assert (third["revision"], third["previous_plan_id"]) == (3, second["plan_id"])
    diff = third["diff"]
    assert (diff["previous_plan_id"], diff["previous_revision"]) == (second["plan_id"], 2)
    assert [s["name"] for s in diff["removed"]] == ["Deploy service"]
    assert diff["added"] == []
    assert diff["changed"] == _parameters_changed(TARGETS, [*TARGETS, "changes"])
    assert diff["risk"] == {"before": "medium", "after": "low"}
    assert answer.json()["messages"][1]["content"].startswith(
        "Here is the updated plan. Revision 3: removed 1 step (Deploy service); changed 2 steps "
        "(Back up data: targets: database, api, service, staging -> database, api, service, "
        "staging, changes; Run test suite: targets: database, api, service, staging -> database, "
        "api, service, staging, changes); "
        "duration ~10 minutes -> ~5 minutes; risk medium -> low.\n\n"
    )

    # By chat again: a new target, first of the five the stand-in keeps.
    fourth = (await dashboard.chat(session_id, "for production")).json()
    diff = fourth["plan"]["diff"]
    assert (fourth["plan"]["revision"], diff["previous_revision"]) == (4, 3)
    assert diff["changed"] == _parameters_changed([*TARGETS, "changes"], ["production", *TARGETS])
    assert diff["added"] == diff["removed"] == [] and diff["duration"] is diff["risk"] is None

    # An approval is bound to the revision shown: the replaced ones stay 409, untouched.
    for replaced_id in (first["plan_id"], second["plan_id"], third["plan_id"]):
        refused = await dashboard.act(replaced_id, "approve", session_id)
        assert refused.status_code == 409, refused.text
    assert (await dashboard.calls()).get("approve", 0) == 0
    approved = await dashboard.act(fourth["plan"]["plan_id"], "approve", session_id)
    assert approved.status_code == 200, approved.text
    assert approved.json()["plan"]["revision"] == 4


async def test_another_identity_sees_no_revision(dashboard):
    session_id = await dashboard.new_session()
    await dashboard.chat(session_id, REQUEST)
    second = (await dashboard.chat(session_id, "also run the tests")).json()["plan"]
    assert (await _view(dashboard, second["plan_id"], user="mallory")).status_code == 404
    assert (await _view(dashboard, second["plan_id"])).json()["diff"]["added"]
