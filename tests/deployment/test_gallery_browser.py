"""The review gallery in a real browser: a real api-server with the plugin, a landed video, Chromium.

The api-server runs with default plugin settings (the plugin loads through its ``airflow.plugins``
entry point) and a real auth manager: Airflow's SimpleAuthManager with one user, ``outsider``,
limited to no DAG (tests/support/restricted_auth_manager.py). The video is landed by the main
example DAG (``airflow dags test``, against the emulator) while the api-server starts. Headless
Chromium logs in through Airflow's login page, finds the entry, and plays it: the bytes come through
the plugin with HTTP Range requests. Screenshots go to test-artifacts/ (about 60 s in all).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from airflow_provider_veo.testing import EmulatorConfig, run_emulator
from airflow_provider_veo.testing.airflow_stack import AirflowStack

ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "veo31_generate_to_storage"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
PASSWORDS = {"reviewer": "reviewer-password", "outsider": "outsider-password"}
PLAYING = """() => {
    const v = document.querySelector("video");
    return v !== null && v.readyState >= 3 && v.currentTime > 0.2 ? v.currentTime : false;
}"""


@dataclass(frozen=True)
class Gallery:
    base_url: str
    run_id: str
    video: Path

    def url(self, **query: str) -> str:
        return f"{self.base_url}/scenario-veo/?{urllib.parse.urlencode(query)}"


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gallery]:
    home = tmp_path_factory.mktemp("gallery-airflow")
    videos = tmp_path_factory.mktemp("gallery-videos")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps(PASSWORDS))
    with run_emulator(EmulatorConfig(job_duration=1.0)) as emulator:
        env = {
            "AIRFLOW_CONN_SCENARIO_DEFAULT": emulator.airflow_connection(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "reviewer:viewer,outsider:viewer",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__AUTH_MANAGER": "restricted_auth_manager.RestrictedAuthManager",
            "PYTHONPATH": str(ROOT / "tests" / "support"),
            "VEO_TEST_DAG_ACCESS": json.dumps({"outsider": []}),
        }
        stack = AirflowStack(home=home, dags_folder=ROOT / "example_dags", env=env)
        try:
            stack.migrate()
            stack.start("api-server")
            landing = subprocess.run(
                [
                    str(Path(sys.executable).with_name("airflow")),
                    *("dags", "test", DAG_ID),
                    *("--conf", json.dumps({"destination": videos.as_uri()})),
                ],
                env=stack.env,
                capture_output=True,
                text=True,
                timeout=180,
            )
            assert landing.returncode == 0, landing.stdout[-3000:] + landing.stderr[-3000:]
            [video] = videos.rglob("*.mp4")
            with sqlite3.connect(home / "airflow.db") as db:  # the run `dags test` created
                (run_id,) = db.execute("SELECT run_id FROM dag_run WHERE dag_id = ?", (DAG_ID,)).fetchone()
            stack.wait(
                lambda: _status(f"{stack.base_url}/scenario-veo/api/videos") == 401,
                timeout=120,
                what="the api-server to serve the gallery",
            )
            yield Gallery(base_url=stack.base_url, run_id=run_id, video=video)
        finally:
            stack.stop_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make setup` installs Debian's chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


def test_a_reviewer_sees_and_plays_the_landed_video(gallery: Gallery, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    ranges: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda r: ranges.append((r.status, r.request.headers.get("range"))) if "/video?" in r.url else None,
    )
    _log_in(page, gallery.url(dag_id=DAG_ID, run_id=gallery.run_id), "reviewer")

    cards = page.locator("article.card")
    assert cards.count() == 1
    card = cards.first
    assert card.get_attribute("data-uri") == f"file://{gallery.video}"  # as recorded: not %-encoded
    text = card.inner_text()
    for expected in ("A red fox trotting", "blurry, low quality", "42", "model_veo3-1", "8 s", "CU", DAG_ID):
        assert expected in text
    assert card.get_by_role("link", name="Job in Scenario").get_attribute("href", timeout=1000)
    task_link = card.get_by_role("link", name="Task in Airflow").get_attribute("href")
    assert task_link == f"/dags/{DAG_ID}/runs/{urllib.parse.quote(gallery.run_id, safe='')}/tasks/store"

    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    first = page.wait_for_function(PLAYING, timeout=20_000).json_value()
    later = page.wait_for_function(f"() => ({PLAYING})() > {first} + 0.5", timeout=10_000)
    assert later.json_value() is True
    assert page.evaluate("() => document.querySelector('video').readyState") >= 3
    assert any(status == 206 and header for status, header in ranges), ranges
    page.screenshot(path=str(ARTIFACTS / "gallery.png"), full_page=True)

    # The menu entry and the DAG-run tab, as the Airflow UI gets them (the plugin loaded by default).
    plugins = page.request.get(f"{gallery.base_url}/api/v2/plugins").json()["plugins"]
    [plugin] = [p for p in plugins if p["name"] == "scenario_veo"]
    assert [app["url_prefix"] for app in plugin["fastapi_apps"]] == ["/scenario-veo"]
    assert {view["destination"] for view in plugin["external_views"]} == {"nav", "dag_run"}

    other_run = gallery.url(dag_id=DAG_ID, run_id="another_run")
    page.goto(other_run)
    assert page.locator("article.card").count() == 0
    page.close()


def test_a_user_without_access_to_the_dag_sees_nothing(gallery: Gallery, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 600})
    _log_in(page, gallery.url(), "outsider")
    assert page.locator("article.card").count() == 0
    assert "No videos you may see" in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "gallery-no-access.png"))

    # Nor can they fetch the bytes by guessing the URI.
    direct = page.request.get(
        f"{gallery.base_url}/scenario-veo/video?{urllib.parse.urlencode({'uri': f'file://{gallery.video}'})}"
    )
    assert direct.status == 404
    page.close()


def _log_in(page: Page, url: str, user: str) -> None:
    """Open ``url`` without a session: Airflow sends the browser to its login page, and back."""
    page.goto(url)
    assert "/auth/login" in page.url
    page.locator("input[name=username], input[type=text]").first.fill(user)
    page.locator("input[type=password]").fill(PASSWORDS[user])
    page.keyboard.press("Enter")
    # Not "load": a <video> delays the load event until its first frame, which the test checks itself.
    page.wait_for_url(
        lambda current: "/scenario-veo/" in current, wait_until="domcontentloaded", timeout=60_000
    )


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback
            return 200
    except urllib.error.HTTPError as error:
        return error.code
