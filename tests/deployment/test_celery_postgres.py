"""A mapped batch of 20 generations on a distributed deployment: CeleryExecutor, PostgreSQL, two triggerers.

PostgreSQL (metadata) and Redis (broker) run in throwaway directories; two Celery workers, two
triggerers, api-server, scheduler and dag-processor are separate processes with their own hostnames.
The images come from S3 (moto) since workers share no filesystem; the videos go back to S3. One
triggerer's process group is SIGKILLed mid-batch: the other must adopt its triggers, every video must
land byte-exact and each job be paid once. What ran where is read from the metadata database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import psycopg
import pytest

from airflow_provider_veo.testing import EmulatorConfig, ScenarioEmulator, make_png, run_emulator
from airflow_provider_veo.testing.airflow_stack import AirflowStack
from tests.support.s3_storage import moto_endpoint  # noqa: F401 - the moto server fixture

DAG_ID = "veo31_celery_batch"
DAGS = Path(__file__).resolve().parent / "dags"
BATCH = 20  # as in the DAG
BUCKET = "veo-batch"
S3_CONN = "s3_batch"
TRIGGERERS = ("triggerer-1", "triggerer-2")
WORKERS = {"worker-1", "worker-2"}

Report = Callable[[str], None]


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest) -> Report:
    """Print a line to the terminal even when output is captured (the timings)."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print(line, flush=True)

    return write


@pytest.fixture(scope="module")
def emulator() -> Iterator[ScenarioEmulator]:
    with run_emulator(EmulatorConfig(job_duration=30.0)) as emu:
        yield emu


@pytest.fixture(scope="module")
def s3(moto_endpoint: str) -> Any:  # noqa: F811
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    emulator: ScenarioEmulator,
    moto_endpoint: str,  # noqa: F811
    report: Report,
) -> Iterator[AirflowStack]:
    s3_connection = {
        "conn_type": "aws",
        "login": "testing",
        "password": "testing",
        "extra": {"endpoint_url": moto_endpoint, "region_name": "us-east-1"},
    }
    env = {
        "AIRFLOW_CONN_SCENARIO_DEFAULT": emulator.airflow_connection(),
        f"AIRFLOW_CONN_{S3_CONN.upper()}": json.dumps(s3_connection),
        "AWS_EC2_METADATA_DISABLED": "true",
        # Quick adoption after the kill (restart ~ last heartbeat + threshold); spread the triggers.
        "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
        "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",
        "AIRFLOW__TRIGGERER__MAX_TRIGGER_TO_SELECT_PER_LOOP": "1",
    }
    started = time.monotonic()
    airflow = AirflowStack(
        home=tmp_path_factory.mktemp("celery-stack"),
        dags_folder=DAGS,
        env=env,
        executor="CeleryExecutor",
        celery_workers=2,
        worker_concurrency=4,
        triggerers=2,
    )
    with airflow:
        airflow.wait_until_ready(DAG_ID)
        report(f"\n[celery stack] startup (PostgreSQL, Redis, migrate, 7 processes ready): "
               f"{time.monotonic() - started:.1f} s")  # fmt: skip
        yield airflow
        stopping = time.monotonic()
    report(f"[celery stack] teardown: {time.monotonic() - stopping:.1f} s")
    assert airflow.database is not None
    assert airflow.database.directory is None, "PostgreSQL left behind"
    assert airflow.broker is not None
    assert airflow.broker.directory is None, "Redis left behind"


@dataclass
class Observer:
    """Samples the run's task instances in the metadata database every 0.3 s (from a thread)."""

    conninfo: str
    run_id: str
    deferred: set[int] = field(default_factory=set)
    #: Most generations deferred plus tasks running at one moment.
    max_in_flight: int = 0
    triggers_by_host: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    #: Triggers each triggerer held at the last sample.
    holding: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    QUERY = """
        SELECT ti.map_index, ti.state, t.id, j.hostname
        FROM task_instance ti
        LEFT JOIN trigger t ON t.id = ti.trigger_id
        LEFT JOIN job j ON j.id = t.triggerer_id
        WHERE ti.dag_id = %s AND ti.run_id = %s
    """

    def __enter__(self) -> Observer:
        self._thread = threading.Thread(target=self._run, name="db-observer", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(self.QUERY, (DAG_ID, self.run_id)).fetchall()
                deferred = [row for row in rows if row[1] == "deferred"]
                running = sum(1 for row in rows if row[1] == "running")
                with self.lock:
                    self.max_in_flight = max(self.max_in_flight, len(deferred) + running)
                    self.holding = Counter(host for *_, host in deferred if host is not None)
                    for map_index, _, trigger_id, host in deferred:
                        self.deferred.add(map_index)
                        if trigger_id is not None and host is not None:
                            self.triggers_by_host[host].add(trigger_id)
                self._stop.wait(0.3)

    def held_by(self, host: str) -> int:
        """How many triggers ``host`` was seen running."""
        with self.lock:
            return len(self.triggers_by_host[host])

    def busiest_once_both_ran(self) -> str | None:
        """The triggerer holding most triggers now (at least 2), once both were seen running triggers."""
        if not all(self.held_by(host) for host in TRIGGERERS):
            return None
        holding = self.holding
        busiest = max(holding, key=holding.__getitem__, default=None)
        return busiest if busiest is not None and holding[busiest] >= 2 else None


def triggerer_job_id(conninfo: str, hostname: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT id FROM job WHERE job_type = 'TriggererJob' AND hostname = %s", (hostname,)
        ).fetchone()
    assert row is not None, f"no triggerer job for {hostname}"
    return int(row[0])


def emulator_bytes(emulator: ScenarioEmulator, asset_id: str) -> bytes:
    """The asset's bytes as the emulator serves them (asset JSON, then its signed CDN URL)."""
    auth = (emulator.api_key, emulator.api_secret)
    asset = httpx.get(f"{emulator.base_url}/assets/{asset_id}", auth=auth, timeout=30).raise_for_status()
    return httpx.get(asset.json()["asset"]["url"], timeout=30).raise_for_status().content


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Measured on 2 shared cores: about 4 min at load average ~11, 7-8 min at 15-20; generous limits.
@pytest.mark.timeout(1200)
def test_mapped_batch_on_celery_survives_a_triggerer_kill_and_lands_every_video(
    stack: AirflowStack, emulator: ScenarioEmulator, s3: Any, report: Report
) -> None:
    assert stack.database is not None
    conninfo = stack.database.sqlalchemy_url
    images = {}
    for index in range(BATCH):
        key = f"images/frame-{index:02d}.png"
        images[key] = make_png(64, 36, rgb=(10 * index, 255 - 10 * index, 128))
        s3.put_object(Bucket=BUCKET, Key=key, Body=images[key])
    conf = {
        "image_prefix": f"s3://{S3_CONN}@{BUCKET}/images/",
        "destination": f"s3://{S3_CONN}@{BUCKET}/videos/",
    }

    triggered = time.monotonic()
    run_id = stack.trigger_dag(DAG_ID, conf=conf)
    with Observer(conninfo, run_id) as observer:
        # Mid-batch, once both triggerers ran triggers, the whole process group of the one holding
        # most dies (which one gets more triggers is up to them).
        victim_host = stack.wait(
            observer.busiest_once_both_ran, timeout=240, what="both triggerers to run triggers"
        )
        stack.kill(victim_host)
        killed = time.monotonic()
        (survivor_host,) = set(TRIGGERERS) - {victim_host}
        victim, survivor = triggerer_job_id(conninfo, victim_host), triggerer_job_id(conninfo, survivor_host)
        with psycopg.connect(conninfo) as conn:
            orphans = dict(
                conn.execute(
                    "SELECT t.id, ti.map_index FROM trigger t JOIN task_instance ti ON ti.trigger_id = t.id "
                    "WHERE t.triggerer_id = %s",
                    (victim,),
                ).fetchall()
            )
        assert orphans, "the killed triggerer held no trigger"

        def adopted() -> bool:
            with psycopg.connect(conninfo) as conn:
                left = conn.execute(
                    "SELECT count(*) FROM trigger WHERE triggerer_id = %s AND id = ANY(%s)",
                    (victim, list(orphans)),
                ).fetchone()
            return left is not None and left[0] == 0

        stack.wait(adopted, timeout=90, what="the surviving triggerer to adopt the orphaned triggers")
        adoption = time.monotonic() - killed
        state = stack.wait_for_run(DAG_ID, run_id, timeout=600)
        run_time = time.monotonic() - triggered
    report(
        f"[celery stack] run: {run_time:.1f} s for {BATCH} generations + {BATCH} stores; "
        f"kill {victim_host} -> adoption of its {len(orphans)} triggers: {adoption:.1f} s; "
        f"at most {observer.max_in_flight} tasks deferred or running at once"
    )
    assert state == "success"

    # Both triggerers ran triggers; every trigger the victim held when it died was then run by the
    # survivor (the task's trigger log is named after the triggerer's job id).
    generate_logs = stack.home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / "task_id=generate"
    for map_index in orphans.values():
        trigger_logs = {p.name for p in (generate_logs / f"map_index={map_index}").iterdir()}
        assert f"attempt=1.log.trigger.{survivor}.log" in trigger_logs, f"map index {map_index} not adopted"
    assert observer.triggers_by_host[survivor_host] - set(orphans), "the survivor ran no trigger of its own"

    with psycopg.connect(conninfo) as conn:
        tis = conn.execute(
            "SELECT task_id, map_index, state, try_number, hostname FROM task_instance "
            "WHERE dag_id = %s AND run_id = %s",
            (DAG_ID, run_id),
        ).fetchall()
        results = dict(
            conn.execute(
                "SELECT map_index, value FROM xcom WHERE dag_id = %s AND run_id = %s "
                "AND task_id = 'generate' AND key = 'return_value'",
                (DAG_ID, run_id),
            ).fetchall()
        )
    mapped = [ti for ti in tis if ti[0] in ("generate", "store")]
    assert len(mapped) == 2 * BATCH
    assert {ti[2] for ti in tis} == {"success"}
    assert {ti[3] for ti in mapped} == {1}, "a task was retried"
    # Tasks spread over both Celery workers.
    assert {ti[4] for ti in mapped} == WORKERS

    # No worker slot held while the jobs rendered: every generation deferred, and at one moment
    # more tasks were deferred or running than the workers have slots.
    assert observer.deferred == set(range(BATCH))
    assert observer.max_in_flight > len(stack.workers) * stack.worker_concurrency

    # Paid once each; each job's first frame is the image read from S3.
    assert emulator.paid_submissions == BATCH
    assert len(results) == BATCH
    for map_index, result in results.items():
        assert result["status"] == "success"
        job = emulator.job(result["job_id"])
        image_asset = job["metadata"]["input"]["image"]
        assert emulator_bytes(emulator, image_asset) == images[f"images/frame-{map_index:02d}.png"]

    # Every video landed in S3 byte-exact.
    asset_ids = {asset_id for result in results.values() for asset_id in result["asset_ids"]}
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix="videos/")["Contents"]
    videos = {item["Key"] for item in listing if item["Key"].endswith(".mp4")}
    assert {Path(key).stem for key in videos} == asset_ids
    assert len(videos) == BATCH
    for key in videos:
        landed = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert sha256(landed) == sha256(emulator_bytes(emulator, Path(key).stem)), key
