"""`ptsim dashboard`: the server starts on 127.0.0.1, serves its page and Solara's front end from the
installed solara-assets (no CDN), and in a headless Chromium a Step press updates the charts.

Needs the viz extra (solara, solara-assets; skipped without it). The browser part needs Playwright and
a Chromium: Playwright's own build, or Debian's `chromium` package (skipped, saying why, without one).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("solara", reason="the dashboard needs the viz extra (pip install 'ptsim[viz]')")

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = os.environ.get("PTSIM_DASHBOARD_SCREENSHOT")      # a path: keep a screenshot there (docs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    env = {**os.environ, "PTSIM_CACHE": str(tmp_path_factory.mktemp("cache"))}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ptsim", "dashboard", "--port", str(port)], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(url)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the dashboard did not answer on {url}: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.3)
        yield url, status, body.decode("utf-8", "replace")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_dashboard_serves_page_and_local_assets(server):
    url, status, html = server
    assert status == 200
    assert "solara" in html.lower()
    # every script and stylesheet is served by this server: none from a CDN
    sources = re.findall(r'<(?:script|img)[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+)"', html)
    external = [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert not external, f"front-end assets from outside: {external}"
    assert not re.search(r"cdn\.jsdelivr|unpkg\.com", html)
    scripts = [s for s in re.findall(r'<script[^>]+src="([^"]+)"', html) if "_solara/cdn" in s]
    assert scripts, "the page loads no front end through the local /_solara/cdn"
    for src in scripts:
        status, body = _get(url.rstrip("/") + "/" + src.lstrip("/"))
        assert status == 200 and len(body) > 1000, src


def test_dashboard_help_is_fast_and_binds_localhost():
    """`ptsim --help` does not import solara; the default host is 127.0.0.1."""
    out = subprocess.run([sys.executable, "-c", "import sys; from ptsim.cli import app; "
                          "print('solara' in sys.modules, 'mesa.visualization' in sys.modules)"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.split() == ["False", "False"], out.stderr
    out = subprocess.run([sys.executable, "-m", "ptsim", "dashboard", "--help"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0 and "127.0.0.1" in out.stdout


def _chromium() -> str | None:
    """A Chromium for Playwright: its own build if installed, else the system's (Debian's chromium)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_dashboard_in_browser_step_updates_charts(server):
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install "
                                     "playwright); the browser part of the dashboard test is skipped")
    url, _, _ = server
    with playwright.sync_playwright() as p:
        try:
            browser = p.chromium.launch(args=["--no-sandbox"])
        except Exception:                             # no Playwright build of Chromium: the system's
            path = _chromium()
            if path is None:
                pytest.skip("no headless browser: Playwright's Chromium is not installed (python -m playwright "
                            "install chromium needs the internet) and there is no system chromium "
                            "(apt-get install chromium)")
            browser = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: errors.append(f"request outside: {r.url}")
                    if not r.url.startswith((url, "ws://127.0.0.1", "blob:", "data:")) else None)
            page.goto(url)
            page.get_by_text("Time: 0", exact=False).wait_for(timeout=40_000)   # first model built
            charts = page.locator("img")
            charts.first.wait_for(timeout=20_000)
            assert charts.count() >= 3
            before = [charts.nth(i).get_attribute("src") for i in range(charts.count())]
            assert "nothing simulated yet" in page.inner_text("body")
            page.get_by_role("button", name="Step").click()
            page.get_by_text("Time: 5", exact=False).wait_for(timeout=20_000)   # one press: 5 days
            page.get_by_text("Recorded days: 5", exact=False).wait_for(timeout=20_000)
            deadline = time.monotonic() + 10
            while [charts.nth(i).get_attribute("src") for i in range(charts.count())] == before:
                assert time.monotonic() < deadline, "the charts did not change after Step"
                time.sleep(0.2)
            assert "bn yuan" in page.inner_text("body")
            if SCREENSHOT:
                page.get_by_role("button", name="Step").click()
                page.get_by_text("Time: 10", exact=False).wait_for(timeout=20_000)
                page.get_by_role("button", name="▶").click()
                page.get_by_text("Time: 120", exact=False).wait_for(timeout=60_000)
                page.get_by_role("button", name="❚❚").click()
                time.sleep(1.5)
                page.screenshot(path=SCREENSHOT, full_page=True)
            assert not errors, errors
        finally:
            browser.close()
