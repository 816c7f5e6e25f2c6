"""Fault injection, counters and the HTTP control API."""

from __future__ import annotations

import asyncio
import http.client
import time
from typing import Any

import aiohttp
import pytest
import requests

from airflow_provider_veo.testing import EmulatorConfig, Fault, FaultRule, ScenarioEmulator

from .conftest import VALID_BODY, Api

JOB = "GET /jobs/{jobId}"
GENERATE = "POST /generate/custom/{modelId}"
CDN = "GET /cdn/assets/{assetId}"


def test_status_fault_hits_the_next_n_requests_only(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    job_id = api.submit()["jobId"]
    scenario_emulator.inject(Fault.status(503), route=JOB, times=2)

    statuses = [api.get(f"/jobs/{job_id}").status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert scenario_emulator.polls == 3


def test_retry_after_header_and_custom_body(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    scenario_emulator.inject(Fault.status(429, retry_after=1), route=GENERATE)
    scenario_emulator.inject(Fault.status(429), route=GENERATE)
    scenario_emulator.inject(Fault.status(502, body={"reason": "upstream", "hint": "later"}), route=GENERATE)

    with_header = api.post("/generate/custom/model_veo3-1", json=VALID_BODY)
    without = api.post("/generate/custom/model_veo3-1", json=VALID_BODY)
    custom = api.post("/generate/custom/model_veo3-1", json=VALID_BODY)

    assert (with_header.status_code, with_header.headers["Retry-After"]) == (429, "1")
    assert with_header.json() == {"reason": "Too Many Requests"}
    assert without.status_code == 429
    assert "Retry-After" not in without.headers
    assert custom.status_code == 502
    assert custom.json() == {"reason": "upstream", "hint": "later"}
    assert scenario_emulator.paid_submissions == 0


def test_after_effect_creates_the_job_then_fails(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    scenario_emulator.inject(Fault.status(500, after_effect=True), route=GENERATE, times=1)

    response = api.post("/generate/custom/model_veo3-1", json=VALID_BODY)

    assert response.status_code == 500
    assert scenario_emulator.paid_submissions == 1
    assert len(api.get("/jobs").json()["jobs"]) == 1


def test_fraction_is_deterministic_under_the_seed(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    def run() -> list[int]:
        scenario_emulator.inject(Fault.status(503), route="GET /models/{modelId}", fraction=0.5)
        return [api.get("/models/model_veo3-1").status_code for _ in range(40)]

    first = run()
    scenario_emulator.reset()
    second = run()

    assert first == second
    assert 8 <= first.count(503) <= 32
    assert set(first) == {200, 503}


def test_fraction_with_times_caps_the_hits(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    scenario_emulator.inject(Fault.status(500), route="GET /models/{modelId}", fraction=1.0, times=3)

    statuses = [api.get("/models/model_veo3-1").status_code for _ in range(5)]

    assert statuses == [500, 500, 500, 200, 200]


def test_wildcard_route(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    scenario_emulator.inject(Fault.status(503), times=2)

    assert api.get("/models/model_veo3-1").status_code == 503
    assert api.get("/jobs").status_code == 503
    assert api.get("/jobs").status_code == 200


def test_delay(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    scenario_emulator.inject(Fault.delay(0.3), route="GET /models/{modelId}")

    started = time.monotonic()
    response = api.get("/models/model_veo3-1")

    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_reset_drops_the_connection(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    job_id = api.submit()["jobId"]
    scenario_emulator.inject(Fault.reset(), route=JOB)

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{scenario_emulator.base_url}/jobs/{job_id}", auth=api.session.auth, timeout=10)

    assert api.get(f"/jobs/{job_id}").status_code == 200
    assert scenario_emulator.polls == 2


def _get_partial(emulator: ScenarioEmulator, url: str, headers: dict[str, str]) -> tuple[int, int, bytes]:
    """GET with http.client: (Content-Length, status, the bytes received before the connection closed)."""
    host, port = emulator.origin.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", url.removeprefix(emulator.origin), headers=headers)
        response = connection.getresponse()
        with pytest.raises(http.client.IncompleteRead) as excinfo:
            response.read()
        return int(response.headers["Content-Length"]), response.status, excinfo.value.partial
    finally:
        connection.close()


def test_truncated_json_body(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    job_id = api.submit()["jobId"]
    scenario_emulator.inject(Fault.truncate(after_bytes=20), route=JOB)

    length, status, partial = _get_partial(
        scenario_emulator,
        f"{scenario_emulator.base_url}/jobs/{job_id}",
        {"Authorization": _basic(scenario_emulator)},
    )

    assert status == 200
    assert len(partial) == 20
    assert length > 20
    assert api.get(f"/jobs/{job_id}").status_code == 200


def test_truncated_cdn_body(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    asset_id = scenario_emulator.create_video_asset(size=3 << 20)
    url = api.get(f"/assets/{asset_id}").json()["asset"]["url"]
    scenario_emulator.inject(Fault.truncate(after_bytes=1_500_000), route=CDN, times=1)

    length, status, partial = _get_partial(scenario_emulator, url, {})

    assert (status, length, len(partial)) == (200, 3 << 20, 1_500_000)
    assert len(requests.get(url, timeout=10).content) == 3 << 20
    assert scenario_emulator.downloads == 2


def test_truncated_range_response(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    asset_id = scenario_emulator.create_video_asset(size=3 << 20)
    url = api.get(f"/assets/{asset_id}").json()["asset"]["url"]
    scenario_emulator.inject(Fault.truncate(after_bytes=10), route=CDN, times=1)

    length, status, partial = _get_partial(scenario_emulator, url, {"Range": "bytes=1000-2999"})

    assert (status, length, len(partial)) == (206, 2000, 10)


def _basic(emulator: ScenarioEmulator) -> str:
    return requests.auth._basic_auth_str(emulator.api_key, emulator.api_secret)


def test_counters_per_route_and_method(api: Api, scenario_emulator: ScenarioEmulator) -> None:
    job_id = api.submit()["jobId"]
    api.post("/generate/custom/model_veo3-1", json=VALID_BODY, params={"dryRun": "true"})
    for _ in range(3):
        api.get(f"/jobs/{job_id}")
    api.get("/models/model_veo3-1")

    counters = scenario_emulator.counters()

    assert scenario_emulator.count(GENERATE) == 2
    assert scenario_emulator.paid_submissions == 1
    assert scenario_emulator.polls == 3
    assert scenario_emulator.count_method("GET") == 4
    assert scenario_emulator.count_method("post") == 2
    assert counters["routes"] == {GENERATE: 2, JOB: 3, "GET /models/{modelId}": 1}
    assert counters["methods"] == {"POST": 2, "GET": 4}


def test_tcp_connections_keep_alive_versus_fresh(scenario_emulator: ScenarioEmulator) -> None:
    url = scenario_emulator.base_url + "/models/model_veo3-1"
    auth = (scenario_emulator.api_key, scenario_emulator.api_secret)
    with requests.Session() as session:
        for _ in range(5):
            assert session.get(url, auth=auth, timeout=10).status_code == 200
    assert scenario_emulator.tcp_connections == 1

    for _ in range(4):
        with requests.Session() as session:
            session.get(url, auth=auth, timeout=10)
    assert scenario_emulator.tcp_connections == 5


def test_thousands_of_concurrent_polls(scenario_emulator: ScenarioEmulator) -> None:
    api = Api(scenario_emulator)
    job_id = api.submit()["jobId"]
    api.close()

    async def poll_all(count: int) -> list[int]:
        connector = aiohttp.TCPConnector(limit=0)
        headers = {"Authorization": _basic(scenario_emulator)}
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

            async def poll() -> int:
                async with session.get(f"{scenario_emulator.base_url}/jobs/{job_id}") as response:
                    await response.json()
                    return response.status

            return await asyncio.gather(*(poll() for _ in range(count)))

    statuses = asyncio.run(poll_all(2000))

    assert statuses == [200] * 2000
    assert scenario_emulator.polls == 2000


def test_control_api_over_http(scenario_emulator: ScenarioEmulator) -> None:
    control = scenario_emulator.origin + "/_emulator"
    api = Api(scenario_emulator)

    added = requests.post(
        control + "/faults",
        json=[
            {"route": "GET /models/{modelId}", "kind": "status", "status": 503, "retry_after": 2, "times": 1}
        ],
        timeout=10,
    )
    faulted = api.get("/models/model_veo3-1")
    image = requests.post(control + "/assets", json={"kind": "image", "width": 64, "height": 64}, timeout=10)
    video = requests.post(control + "/assets", json={"kind": "video", "size": 2 << 20}, timeout=10)
    requests.post(control + "/fail-next-jobs", json={"count": 1, "error": "boom", "hint": "h"}, timeout=10)
    job = api.submit({**VALID_BODY, "image": image.json()["assetId"]})
    url = api.get(f"/assets/{video.json()['assetId']}").json()["asset"]["url"]
    requests.post(control + "/expire-urls", timeout=10)
    counters = requests.get(control + "/counters", timeout=10).json()
    seen = requests.get(f"{control}/jobs/{job['jobId']}", timeout=10).json()["job"]

    assert added.status_code == 200
    assert (faulted.status_code, faulted.headers["Retry-After"]) == (503, "2")
    assert api.get(f"/assets/{image.json()['assetId']}").json()["asset"]["kind"] == "image"
    assert requests.get(url, timeout=10).status_code == 403
    assert counters["paid_submissions"] == 1
    assert counters["routes"]["GET /models/{modelId}"] == 1
    assert seen["jobId"] == job["jobId"]
    assert api.wait(job["jobId"])["metadata"]["error"] == "boom"

    assert requests.post(control + "/faults", json={"kind": "explode"}, timeout=10).status_code == 400
    assert (
        requests.post(control + "/assets", json={"kind": "video", "size": 10}, timeout=10).status_code == 400
    )
    assert (
        requests.post(control + "/assets", json={"kind": "image", "width": "x"}, timeout=10).status_code
        == 400
    )
    assert requests.post(control + "/fail-next-jobs", json={"count": 1}, timeout=10).status_code == 400
    requests.post(control + "/faults", json={"kind": "status", "status": 500, "fraction": 1.0}, timeout=10)
    assert len(requests.get(control + "/faults", timeout=10).json()["faults"]) == 1
    requests.delete(control + "/faults", timeout=10)
    assert api.get("/models/model_veo3-1").status_code == 200
    assert requests.post(control + "/reset", timeout=10).status_code == 200
    assert scenario_emulator.paid_submissions == 0
    assert api.get(f"/jobs/{job['jobId']}").status_code == 404
    api.close()


def test_configured_faults_survive_reset(scenario_emulator_factory: Any) -> None:
    rule = FaultRule(fault=Fault.status(503), route="GET /models/{modelId}", times=1)
    with scenario_emulator_factory(EmulatorConfig(faults=[rule])) as emu:
        api = Api(emu)
        assert api.get("/models/model_veo3-1").status_code == 503
        assert api.get("/models/model_veo3-1").status_code == 200
        emu.reset()
        assert api.get("/models/model_veo3-1").status_code == 503
        api.close()


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "status", "status": 200},
        {"kind": "delay", "seconds": -1},
        {"kind": "truncate"},
        {"kind": "status", "status": 500, "times": 0},
        {"kind": "status", "status": 500, "fraction": 1.5},
        {"kind": "reset", "colour": "red"},
        {"kind": "reset", "route": "GET /jobs/{job_id}"},
    ],
)
def test_invalid_fault_definitions(data: dict[str, Any]) -> None:
    with pytest.raises((ValueError, KeyError)):
        FaultRule.from_dict(data)


def test_unknown_route_keys_are_refused(scenario_emulator: ScenarioEmulator) -> None:
    with pytest.raises(ValueError, match="Unknown route"):
        scenario_emulator.inject(Fault.reset(), route="GET /v1/jobs/{jobId}")
    with pytest.raises(ValueError, match="Unknown route"):
        scenario_emulator.count("GET /job/{jobId}")
