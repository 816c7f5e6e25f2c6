"""Which project owns what: ``?projectId=`` sets the owner of what is created and asserts it on reads."""

from __future__ import annotations


def visible_to(owner_id: str, project_id: str | None) -> bool:
    """Whether a resource owned by ``owner_id`` exists for a request with this ``?projectId=``.

    Without ``projectId`` everything the key can reach is visible; with it, another project's jobs,
    assets and uploads do not exist (404), and ``GET /jobs`` leaves them out.
    """
    return project_id is None or project_id == owner_id
