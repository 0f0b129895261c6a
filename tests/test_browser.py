"""Real-browser test: JupyterLab in headless Chromium runs topic 03 and its convolution explorer reacts.

Needs Debian's ``chromium`` package (Playwright drives it through ``executable_path``; it never
downloads a browser). Without it the test is skipped, unless ``COURSE_REQUIRE_BROWSER=1`` (set by
``.ci/run``) makes a missing browser a failure. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from nbhelpers import REPO, jupyter_server, source_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
ASSIGNMENT = "03_stride_padding_dilation"
# Without the background-networking switches Chromium keeps calling home, which floods a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--disable-default-apps", "--metrics-recording-only", "--mute-audio"]
# Every wait is bounded by what is left of this budget, so a hang cannot outlast it.
BUDGET_S = 150
# JupyterLab's defaults, except that it neither fetches news nor checks for updates (the network is closed
# and the news prompt would cover the page).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def _require_browser():
    """Skip without Chromium or Playwright, or fail when the environment demands a browser."""
    missing = fix = None
    if not CHROMIUM.exists():
        missing, fix = f"{CHROMIUM} not found", "install Debian's chromium package (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the Python package playwright is missing"
            fix = "install the dev extra (pip install -e '.[dev]')"
    if missing is None:
        return
    if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"COURSE_REQUIRE_BROWSER=1 but {missing}: {fix}.")
    pytest.skip(f"browser test skipped, {missing}: {fix} to run it")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as err:
        return f"(no log: {err})"


def test_stride_slider_changes_output_size_in_jupyterlab(tmp_path):
    """Check that moving the explorer's stride slider in JupyterLab shows the new output size."""
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    deadline = time.monotonic() + BUDGET_S

    def left_ms(most_s: float) -> float:
        """Milliseconds for the next wait: ``most_s`` at most, never past the overall budget."""
        return max(1.0, min(most_s, deadline - time.monotonic())) * 1000

    # JupyterLab autosaves, so it works on a copy, never on the repository's notebook.
    work = tmp_path / "lab"
    work.mkdir()
    notebook = shutil.copy(source_notebook(ASSIGNMENT), work)
    settings = tmp_path / "settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    log = tmp_path / "jupyterlab.log"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "browser-03-stride.png"
    for old in ARTIFACTS.glob("browser-03-stride*.png"):
        old.unlink()
    console: list[str] = []
    stages: list[tuple[str, float]] = []   # (what the test is doing, seconds since start when it began)
    started = time.monotonic()

    def stage(name: str) -> None:
        stages.append((name, time.monotonic() - started))

    def report() -> str:
        return ", ".join(f"{name} @{at:.1f}s" for name, at in stages)

    page = None
    # Whatever happens, the stack closes the browser, Playwright and JupyterLab (with its kernel).
    with contextlib.ExitStack() as stack:
        try:
            stage("start JupyterLab")
            lab_args = (f"--LabApp.user_settings_dir={settings}",
                        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=None",
                        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
            server = stack.enter_context(jupyter_server(work, app="lab", log=log, args=lab_args))
            playwright = stack.enter_context(sync_playwright())
            stage("launch Chromium")
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=CHROMIUM_ARGS, timeout=left_ms(60))
            stack.callback(browser.close)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
            stage("open the notebook")
            page.goto(f"{server.url}/lab/tree/{Path(notebook).name}?token={server.token}",
                      timeout=left_ms(60))
            panel = page.locator(".jp-NotebookPanel").first
            expect(panel).to_be_visible(timeout=left_ms(60))
            stage("wait for the kernel to be idle")
            # The status bar names the kernel once it runs; the toolbar's indicator alone also says
            # "idle" before any kernel exists, and a Run All clicked then does nothing.
            kernel_status = page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))
            expect(kernel_status).to_have_count(1, timeout=left_ms(60))
            expect(panel.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
                "data-status", "idle", timeout=left_ms(30))

            stage("Run > Run All Cells")
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(timeout=left_ms(20))
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click(
                timeout=left_ms(20))
            stage("wait for Run All to start")
            running = panel.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]"))
            expect(running.first).to_be_attached(timeout=left_ms(30))
            stage("wait for the explorer")
            size = page.locator(".course-output-size")
            expect(size).to_have_text("output size: 5 × 5", timeout=left_ms(90))
            stage("wait for the remaining cells")
            # The slider should move once the kernel is free, not while cells are still queued.
            expect(panel.locator(".jp-InputPrompt", has_text="*")).to_have_count(0, timeout=left_ms(60))
            stage("screenshot before")
            explorer = page.locator(".jp-OutputArea-output", has=size)
            explorer.scroll_into_view_if_needed(timeout=left_ms(10))
            explorer.screenshot(path=ARTIFACTS / "browser-03-stride-before.png", timeout=left_ms(10))

            stage("press ArrowRight on the stride slider")
            stride = page.locator(".course-stride")
            expect(stride.locator(".widget-readout")).to_have_text("1", timeout=left_ms(10))
            # A key press on the focused handle commits at once, even with continuous_update=False.
            stride.locator(".noUi-handle").focus(timeout=left_ms(10))
            page.keyboard.press("ArrowRight")
            expect(stride.locator(".widget-readout")).to_have_text("2", timeout=left_ms(20))
            stage("wait for the new output size")
            expect(size).to_have_text("output size: 3 × 3", timeout=left_ms(30))
            stage("screenshot after")
            explorer.screenshot(path=shot, timeout=left_ms(10))
            stage("done")
        except Exception as err:
            if page is not None:
                try:
                    page.screenshot(path=ARTIFACTS / "browser-03-stride-failure.png", full_page=True,
                                    timeout=10_000)
                except Exception as shot_err:  # noqa: BLE001 - the original failure matters more
                    console.append(f"(failure screenshot failed: {shot_err})")
            raise AssertionError(
                f"failed at '{stages[-1][0]}' (stages: {report()}):\n{err}"
                "\n--- browser console errors ---\n" + "\n".join(console[-20:])
                + f"\n--- JupyterLab log tail ({log}) ---\n{_tail(log)}") from err
    print(f"\nbrowser test: {report()}, total {time.monotonic() - started:.1f} s")
    assert shot.stat().st_size > 0
