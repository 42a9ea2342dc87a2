"""`ptsim dashboard`: the server starts on 127.0.0.1, serves its page and Solara's front end from the
installed solara-assets (no CDN), and in a headless Chromium a Step press updates the charts, the sidebar
sits beside them and its sliders show their values; the Experiment page reads a tiny compare and a tiny
sweep folder (its data functions tested directly too) and refuses other folders with one line. Beyond
loopback (`--host 0.0.0.0`) it warns and reads only folders under its roots; a busy port or a bad host
is one line, exit 2.

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

import numpy as np
import pytest

pytest.importorskip("solara", reason="the dashboard needs the viz extra (pip install 'ptsim[viz]')")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = os.environ.get("PTSIM_DASHBOARD_SCREENSHOT")      # a path: keep a screenshot there (docs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


TINY = {"population.consumers": 300, "population.merchants": 20, "run.days": 10, "run.burn_in_days": 5}
LEVERS = {"policies.weight_bonus.share": [0, 1], "groups.entry": ["none", "purchased"]}


@pytest.fixture(scope="module")
def experiments(tmp_path_factory):
    """A tiny compare (baseline vs wechat_open) and a tiny two-lever grid sweep, 2 replications each
    (about a second): folders as `ptsim compare` and `ptsim sweep` write them."""
    from ptsim.experiment import compare, sweep
    root = tmp_path_factory.mktemp("experiments")
    compare(["baseline", "wechat_open"], reps=2, overrides=TINY, out=root / "compare", cache=False)
    sweep("baseline", grid=LEVERS, reps=2, overrides=TINY, out=root / "sweep", cache=False)
    return {"compare": root / "compare", "sweep": root / "sweep"}


@pytest.fixture(scope="module")
def server(tmp_path_factory, experiments):
    port = _free_port()
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    env = {**os.environ, "PTSIM_CACHE": str(tmp_path_factory.mktemp("cache"))}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ptsim", "dashboard", "--port", str(port), "--experiment",
                                 str(experiments["compare"])], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
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


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Playwright's build, else the system's), or a skip saying why there is none."""
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install "
                                     "playwright); the browser part of the dashboard test is skipped")
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
            yield browser
        finally:
            browser.close()


def _page(browser, url):
    """A wide page (1600 px: the sidebar docked beside the main area) that records script errors and any
    request leaving this server."""
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.errors.append(f"request outside: {r.url}")
            if not r.url.startswith((url, "ws://127.0.0.1", "blob:", "data:")) else None)
    return page


def test_dashboard_in_browser_step_updates_charts(server, browser):
    url, _, _ = server
    page = _page(browser, url)
    try:
        page.goto(url)
        page.get_by_text("Time: 0", exact=False).wait_for(timeout=90_000)   # first model built
        charts = page.locator("img")
        charts.first.wait_for(timeout=60_000)
        assert charts.count() >= 3
        # the sidebar sits beside the charts, not over them (once the layout has settled); the sliders
        # show their values at rest
        def beside():
            drawer = page.locator(".v-navigation-drawer").bounding_box()
            return charts.first.bounding_box()["x"] >= drawer["x"] + drawer["width"] - 1
        deadline = time.monotonic() + 10
        while not beside():
            assert time.monotonic() < deadline, "the sidebar covers the charts"
            time.sleep(0.2)
        page.get_by_text("ptsim: private traffic on Tmall").wait_for(timeout=60_000)
        for value in ("5000", "365"):                  # consumer agents, days to record
            page.locator(".v-slider-thumb__label", has_text=value).first.wait_for(timeout=60_000)
        before = [charts.nth(i).get_attribute("src") for i in range(charts.count())]
        assert "nothing simulated yet" in page.inner_text("body")
        page.get_by_role("button", name="Step").click()
        page.get_by_text("Time: 5", exact=False).wait_for(timeout=60_000)   # one press: 5 days
        page.get_by_text("Recorded days: 5", exact=False).wait_for(timeout=60_000)
        deadline = time.monotonic() + 10
        while [charts.nth(i).get_attribute("src") for i in range(charts.count())] == before:
            assert time.monotonic() < deadline, "the charts did not change after Step"
            time.sleep(0.2)
        assert "bn yuan" in page.inner_text("body")
        if SCREENSHOT:
            page.get_by_role("button", name="Step").click()
            page.get_by_text("Time: 10", exact=False).wait_for(timeout=60_000)
            page.get_by_role("button", name="▶").click()
            page.get_by_text("Time: 120", exact=False).wait_for(timeout=120_000)
            page.get_by_role("button", name="❚❚").click()
            time.sleep(1.5)
            page.screenshot(path=SCREENSHOT, full_page=True)
        assert not page.errors, page.errors
    finally:
        page.close()


def test_dashboard_in_browser_experiment_page_shows_differences_and_responses(server, browser, experiments):
    """The page opens with the --experiment folder (a comparison: table and chart), Load reads a sweep,
    and a folder that is not an experiment gets one line."""
    url, _, _ = server
    page = _page(browser, url)
    try:
        page.goto(url)
        page.get_by_text("Time: 0", exact=False).wait_for(timeout=90_000)
        page.get_by_role("button", name="Experiment").click()              # the page button in the app bar
        # the first load imports scipy and draws the forest in the server: slow on a busy machine
        page.get_by_text("wechat_open − baseline", exact=False).first.wait_for(timeout=120_000)
        page.wait_for_url("**/experiment", timeout=60_000)     # the router may update the address after drawing
        body = page.inner_text("body")
        assert "A comparison of 2 scenarios" in body and "difference in GMV on platform (bn yuan)" in body
        assert page.locator("table.ptsim-table").count() == 1
        assert page.locator("img").count() == 1                             # the forest of differences
        folder = page.get_by_label("Experiment folder", exact=False)
        for path, expected in ((experiments["sweep"], "groups.entry = purchased"),
                               (ROOT / "model", "not an experiment folder")):
            folder.fill(str(path))                     # then Load, as a user does (the field commits on blur)
            page.get_by_role("button", name="Load").click()
            page.get_by_text(expected, exact=False).first.wait_for(timeout=90_000)
        page.get_by_text("model: not an experiment folder (no manifest.json)", exact=False).wait_for(timeout=60_000)
        assert page.locator("img").count() == 0 and "Traceback" not in page.inner_text("body")
        assert not page.errors, page.errors
    finally:
        page.close()


# ------------------------------------------------------------------------- the Experiment page's data
def _numbers(cell: str) -> list[float]:
    """'1,234.5 [-1.5, 2]' -> [1234.5, -1.5, 2.0]"""
    return [float(x) for x in re.findall(r"-?[\d,]+(?:\.\d+)?", cell.replace(",", ""))]


def test_experiment_page_shows_a_comparisons_differences_as_written(experiments):
    import pandas as pd

    from ptsim import dashboard, plots
    c = dashboard.open_experiment(experiments["compare"])
    assert c.reference == "baseline"
    table = dashboard.difference_table(c)
    written = pd.read_csv(experiments["compare"] / "differences.csv")
    assert list(table.columns) == ["wechat_open − baseline", "wechat_open − baseline (% of baseline)"]
    assert len(table) == written["outcome"].nunique()
    for name in ("gmv_total", "gmv_private", "share_gmv_private", "active_share"):
        row = written[written["outcome"] == name].iloc[0]
        head = plots.label(name, difference=True)
        factor, _ = plots.scale_for(name)
        level, pct = table.loc[head]
        got = _numbers(level)
        decimals = max(len(x.split(".")[1]) if "." in x else 0 for x in re.findall(r"[\d.]+", level))
        assert got == pytest.approx([row[k] * factor for k in ("mean", "low", "high")], abs=0.51 * 10 ** -decimals)
        if np.isfinite(row["pct_mean"]):
            assert _numbers(pct)[0] == pytest.approx(row["pct_mean"], abs=0.51 * 10 ** -max(0, len(
                pct.split(" ")[0].partition(".")[2])))
    fig = dashboard.experiment_figure(c, "gmv_private")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [plots.nice("gmv_private")]
    # the baseline sells nothing inside WeChat: no % difference to draw, the table says so with a dash
    assert dashboard.experiment_figure(c, "gmv_wechat_direct") is None
    assert table.loc[plots.label("gmv_wechat_direct", difference=True)].iloc[1] == "–"


def test_experiment_page_shows_a_sweeps_response_to_each_lever(experiments):
    from ptsim import dashboard, plots
    s = dashboard.open_experiment(experiments["sweep"])
    assert s.parameters == list(LEVERS) and dashboard.default_outcome(s) == "gmv_total"
    for lever, other in (list(LEVERS), list(LEVERS)[::-1]):
        table = dashboard.response_table(s, "active_share", lever)
        assert table.index.name == lever and list(table.index) == LEVERS[lever]
        assert list(table.columns) == [f"{other} = {v}" for v in LEVERS[other]]
        assert all(len(_numbers(cell)) == 3 for cell in table.to_numpy().ravel())    # mean [low, high]
        fig = dashboard.experiment_figure(s, "active_share", lever)
        assert fig.axes[0].get_xlabel() == plots.field_label(lever)                # not the dotted path
        assert fig.axes[0].get_ylabel() == plots.label("active_share")
        # the table's means are the folder's responses (mean over replications per point), in %
        written = s.table.groupby(lever)["active_share"].mean() * 100
        means = table.map(lambda cell: _numbers(cell)[0]).mean(axis=1)
        assert means.to_numpy() == pytest.approx(written.to_numpy(), abs=1)


def test_experiment_page_refuses_other_folders_in_one_line(experiments, tmp_path):
    import shutil

    from ptsim import dashboard
    from ptsim.calibration.study import MANIFEST
    from ptsim.experiment import run_experiment
    from ptsim.scenario import ScenarioError, load_scenario
    (tmp_path / "calibration").mkdir()
    (tmp_path / "calibration" / MANIFEST).write_text("{}")
    run_experiment([load_scenario("baseline", TINY)], 1, out=tmp_path / "run", command="run", cache=False)
    shutil.copytree(experiments["compare"], tmp_path / "unfinished")
    (tmp_path / "unfinished" / "runs.parquet").unlink()
    shutil.copytree(experiments["compare"], tmp_path / "damaged")
    (tmp_path / "damaged" / "runs.parquet").write_bytes(b"not parquet")
    cases = {"": "give the folder", tmp_path / "nowhere": "no such folder",
             tmp_path / "calibration": "a calibration folder", tmp_path / "run": "`ptsim run`",
             tmp_path / "unfinished": "not finished", tmp_path / "damaged": "cannot be read",
             experiments["compare"] / "runs": "not an experiment folder"}
    for folder, expected in cases.items():
        with pytest.raises(ScenarioError, match=re.escape(expected)) as err:
            dashboard.open_experiment(folder)
        assert "\n" not in str(err.value) and str(folder) in str(err.value)


def test_dashboard_experiment_option_refuses_a_missing_folder(tmp_path):
    out = subprocess.run([sys.executable, "-m", "ptsim", "dashboard", "--experiment", str(tmp_path / "nowhere")],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0 and "no such folder" in out.stderr


# ------------------------------------------------------------------------- where it listens, what it may read
def test_experiment_folders_beyond_loopback_are_only_those_under_the_allowed_roots(experiments, tmp_path,
                                                                                    monkeypatch):
    """A folder is readable when it resolves (symlinks, `..`) under a root; outside ones are refused in one
    line before anything is read; no roots (on loopback) means any folder."""
    from ptsim import dashboard
    from ptsim.scenario import ScenarioError
    root, other = tmp_path / "root", tmp_path / "other"
    (root / "sub").mkdir(parents=True)
    other.mkdir()
    (tmp_path / "root-evil").mkdir()
    (root / "out").symlink_to(other)                  # inside by name, outside in fact
    (other / "in").symlink_to(root / "sub")           # outside by name, inside in fact
    inside = {root: root, root / "sub": root / "sub", root / "sub" / "new": root / "sub" / "new",
              root / ".." / "root" / "sub": root / "sub", other / "in": root / "sub"}
    for folder, resolved in inside.items():
        assert dashboard.readable_folder(folder, [root]) == resolved.resolve()
    for folder in (other, root / "sub" / ".." / ".." / "other", root / "out", root / "out" / "x",
                   tmp_path / "root-evil", Path("/etc"), Path("~").expanduser()):
        with pytest.raises(ScenarioError, match="outside the folders this dashboard may read") as err:
            dashboard.readable_folder(folder, [root])
        assert "\n" not in str(err.value) and str(folder) in str(err.value) and str(root) in str(err.value)
    assert dashboard.readable_folder(other, []) == other.resolve()
    # the page's loader refuses before reading anything, and reads a folder under a root
    monkeypatch.setattr(dashboard, "open_experiment", lambda f: pytest.fail(f"{f} was read"))
    with pytest.raises(ScenarioError, match="outside"):
        dashboard.load_folder(str(experiments["compare"]), [root])
    monkeypatch.undo()
    assert dashboard.load_folder(str(experiments["compare"]), [experiments["compare"].parent]).reference == "baseline"
    # serve() hands the roots to the page through the environment; none on loopback
    monkeypatch.setenv(dashboard.FOLDERS_ENV, os.pathsep.join([str(root), str(other)]))
    assert dashboard.allowed_roots() == [root, other]
    monkeypatch.delenv(dashboard.FOLDERS_ENV)
    assert dashboard.allowed_roots() == []


def test_experiment_page_refuses_folders_outside_its_roots(tmp_path, monkeypatch):
    """The page itself (rendered in-process, no browser): with roots set by serve(), Load of a folder
    outside them shows the one-line refusal and the hint names the roots; without roots (loopback) any
    folder is read as today."""
    import ipyvuetify as v
    import solara

    from ptsim import dashboard
    monkeypatch.delenv(dashboard.EXPERIMENT_ENV, raising=False)

    def load(folder):
        _, rc = solara.render(dashboard.ExperimentPage(), handle_error=False)
        hint = " ".join(str(w.children) for w in rc.find(v.Html).widgets)
        field = rc.find(v.TextField).widget
        field.v_model = str(folder)
        field.fire_event("focusout")                # the field commits on blur, as in a browser
        rc.find(v.Btn, children=["Load"]).widget.click()
        return hint, " ".join(str(w.children) for w in rc.find(v.Html).widgets)

    monkeypatch.setenv(dashboard.FOLDERS_ENV, str(tmp_path))
    hint, shown = load(ROOT / "model")
    assert f"folder under {tmp_path}" in hint
    assert f"error: {ROOT / 'model'}: outside the folders this dashboard may read" in shown
    assert f"error: {tmp_path / 'x'}: no such folder" in load(tmp_path / "x")[1]
    monkeypatch.delenv(dashboard.FOLDERS_ENV)
    assert "not an experiment folder" in load(ROOT / "model")[1]


def test_check_listen_tells_loopback_from_beyond_and_finds_a_free_port():
    from ptsim import dashboard
    for host, loopback in (("127.0.0.1", True), ("localhost", True), ("127.0.0.2", True), ("0.0.0.0", False)):
        port, is_loopback = dashboard.check_listen(host, 0)
        assert 0 < port < 65536 and is_loopback is loopback, host


def _dashboard(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "ptsim", "dashboard", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def test_dashboard_busy_port_is_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = _dashboard("--port", str(port))
    assert out.returncode == 2, out.stderr
    assert out.stderr == (f"error: --port {port}: already in use on 127.0.0.1 (choose another with --port, or "
                          "--port 0 for any free port)\n")
    assert "Solara" not in out.stdout


@pytest.mark.parametrize("host, expected", [("203.0.113.7", "not an address of this machine"),
                                            ("no-such-host.invalid", "cannot be resolved"),
                                            ("", "give an address")])
def test_dashboard_bad_host_is_one_line(host, expected):
    out = _dashboard("--host", host, "--port", "0")
    assert out.returncode == 2, out.stderr
    line = out.stderr.strip()
    assert line.startswith(f"error: --host {host}") and expected in line and "\n" not in line, out.stderr


def test_dashboard_warns_when_listening_beyond_loopback():
    """--host 0.0.0.0: one warning line on stderr naming the folders the Experiment page may read, then the
    server starts on the free port it says (port 0)."""
    import queue
    import threading
    proc = subprocess.Popen([sys.executable, "-m", "ptsim", "dashboard", "--host", "0.0.0.0", "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    lines = queue.Queue()
    for stream, name in ((proc.stdout, "out"), (proc.stderr, "err")):
        threading.Thread(target=lambda s=stream, n=name: [lines.put((n, line)) for line in s], daemon=True).start()
    got = {"out": [], "err": []}
    try:
        deadline = time.monotonic() + 30
        while not (got["out"] and got["err"]):
            try:
                name, line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no warning and address within 30 s: {got}")
            got[name].append(line)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    warning = got["err"][0]
    assert warning.startswith("warning: --host 0.0.0.0") and warning.count("\n") == 1, got
    assert "anyone who can reach" in warning and str(ROOT) in warning
    port = int(re.search(r"http://0\.0\.0\.0:(\d+)/", got["out"][0]).group(1))
    assert port > 0, got
