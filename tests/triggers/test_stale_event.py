"""The stale-event guard: an event fired for another try than the running one is recognised."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow_provider_veo.triggers.stale_event import current_try, is_stale_event


def context(try_number: object) -> dict[str, object]:
    return {"ti": SimpleNamespace(try_number=try_number)}


@pytest.mark.parametrize(
    ("event", "running", "stale"),
    [
        ({"status": "success", "try_number": 1}, 1, False),  # resumed from its own deferral
        ({"status": "timeout", "try_number": 1}, 2, True),  # 3.0.x/3.1.0: the retry got try 1's event
        ({"status": "success"}, 2, False),  # a trigger from before the upgrade: trust the event
        ({"status": "success", "try_number": None}, 2, False),  # deferred outside a task runner
        (None, 2, False),  # no event: execute_complete reports it
    ],
)
def test_only_another_try_s_event_is_stale(event: object, running: int, stale: bool) -> None:
    assert is_stale_event(event, context(running)) is stale


def test_no_task_instance_means_no_current_try() -> None:
    assert current_try({}) is None
    assert current_try(context("2")) is None
    assert not is_stale_event({"try_number": 1}, {})
