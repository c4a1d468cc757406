"""The process's orchestrator client: one per process, closed when the local app shuts down."""

import pytest
import respx

from shared.errors import OrchestratorUnreachable
from shared.orchestrator.factory import get_orchestrator
from shared.web.fastapi_app import create_app


@pytest.fixture(autouse=True)
def fresh_client():
    get_orchestrator.cache_clear()
    yield
    get_orchestrator.cache_clear()


def test_one_client_per_process():
    assert get_orchestrator() is get_orchestrator()


async def test_the_local_app_closes_the_client_when_it_shuts_down():
    app = create_app()
    async with app.router.lifespan_context(app):  # what uvicorn runs: start-up, then shutdown
        used = get_orchestrator()
    task_id = "5f0c6f43-1b8e-4a7e-9a51-2f4f3c8f9d10"
    with respx.mock(assert_all_called=False) as orchestrator:  # would answer, if asked
        anything = orchestrator.route().respond(200, json={"task_id": task_id, "status": "done"})
        with pytest.raises(OrchestratorUnreachable):  # refused at once: nothing is sent
            used.task_status(task_id)
    assert not anything.called
    assert get_orchestrator() is not used  # a later app gets a new one


async def test_an_app_that_made_no_client_shuts_down_without_making_one():
    app = create_app()
    async with app.router.lifespan_context(app):
        pass
    assert get_orchestrator.cache_info().currsize == 0
