"""Real-browser tests: JupyterLab in headless Chromium at 1366 × 768 runs each explorer as a student sees it.

One JupyterLab server and one browser serve every explorer. The test writes a notebook holding the
explorer cell of each release notebook (found by ``course.widgets``) and runs those cells one at a time,
not Run All, so it does not depend on where the notebooks place their explorers. For each explorer it
changes a control, then checks, with the explorer scrolled to the top of the notebook:

- every picture is drawn at its PNG's own pixel size (the same explorer, run headless with the same
  change, says what that size is), so input and output grids keep one cell size on screen;
- the picture the change redraws and the status line are inside the window, without scrolling.

Needs Debian's ``chromium`` package (Playwright drives it through ``executable_path``; it never
downloads a browser). Without it the tests are skipped, unless ``COURSE_REQUIRE_BROWSER=1`` (set by
``.ci/run``) makes a missing browser a failure. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbhelpers import REPO, jupyter_server, read, release_notebook, source_notebook

# One worker runs them all: they share one JupyterLab server and one Chromium (a module fixture).
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
VIEWPORT = {"width": 1366, "height": 768}
# Without the background-networking switches Chromium keeps calling home, which floods a closed network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--disable-default-apps", "--metrics-recording-only", "--mute-audio"]
# Every wait is bounded by what is left of this budget, so a hang cannot outlast it.
BUDGET_S = 240
# JupyterLab's defaults, except that it neither fetches news nor checks for updates (the network is closed
# and the news prompt would cover the page).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


@dataclass(frozen=True)
class Case:
    """One explorer: the release notebook it comes from and how the test changes it.

    ``control`` is the CSS class of the control; ``action`` is ``"key"`` (ArrowRight on a slider's
    handle) or ``"click"`` (a check box or a toggle button, ``button`` naming its text);
    ``python`` makes the same change on the headless explorer. ``changed`` are the CSS classes of
    the pictures the change redraws; ``grids`` pairs input and output pictures with a function
    giving their columns of cells (``None``: the pictures have equal cells by construction).
    """

    assignment: str
    control: str
    action: str
    python: object
    changed: tuple[str, ...]
    grids: object = None
    button: str | None = None


def _conv_grids(explorer):
    g = explorer.geometry
    return g.padded_size, g.out_size


def _pool_grids(explorer):
    g = explorer.geometry
    return g.extent, g.candidates


CASES = {
    "conv-1d": Case("02_conv_dims", "stride", "key", lambda e: setattr(e.stride, "value", e.stride.value + 1),
                    ("output_picture",), _conv_grids),
    "conv-2d": Case("03_stride_padding_dilation", "stride", "key",
                    lambda e: setattr(e.stride, "value", e.stride.value + 1), ("output_picture",),
                    _conv_grids),
    "conv-2d-image": Case("03_stride_padding_dilation", "values", "click",
                          lambda e: setattr(e.values, "value", "image"), ("input_picture", "output_picture"),
                          _conv_grids, button="image values"),
    "pooling": Case("04_pooling", "ceil_mode", "click",
                    lambda e: setattr(e.ceil_mode, "value", not e.ceil_mode.value),
                    ("input_picture", "output_picture"), _pool_grids),
    "dropout": Case("05_dropout", "p", "key", lambda e: setattr(e.p, "value", round(e.p.value + 0.05, 2)),
                    ("output_picture", "mask_picture", "histogram")),
    "softmax": Case("06_softmax", "logit", "key",
                    lambda e: setattr(e.logits[0], "value", round(e.logits[0].value + 0.1, 1)),
                    ("softmax_picture", "naive_picture")),
    "batches": Case("07_epoch_batch_step", "shuffle", "click",
                    lambda e: setattr(e.shuffle, "value", not e.shuffle.value), ("batches_picture",)),
    "norm": Case("10_normalization", "kind", "click", lambda e: setattr(e.kind, "value", "layer"),
                 ("block_picture",), button="LayerNorm"),
    "attention": Case("13_attention_transformer", "causal", "click",
                      lambda e: setattr(e.causal, "value", True),
                      ("map_1_1", "map_1_2", "map_2_1", "map_2_2"), button="on"),
}


# The Korean edition: its notebook of this assignment, cut to the title, the setup cell and the explorer.
KOREAN = "02_conv_dims"


def korean_notebook():
    """The Korean release's title cell, setup cell (which chooses Korean) and explorer cell, as a notebook."""
    nb = read(REPO / "ko" / "release" / KOREAN / f"{KOREAN}.ipynb")
    title = next(c for c in nb.cells if c.cell_type == "markdown")
    code = [c for c in nb.cells if c.cell_type == "code"]
    explorer = next(c for c in code if "course.widgets" in c.source)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(title.source),
                                               nbformat.v4.new_code_cell(code[0].source),
                                               nbformat.v4.new_code_cell(explorer.source)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


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


@functools.cache
def explorer_source(assignment: str) -> str:
    """The source of the release notebook's explorer cell: the code cell that imports ``course.widgets``.

    While the release is being regenerated (it is briefly missing), the source notebook's cell is used:
    explorer cells are the same in both.
    """
    path = release_notebook(assignment)
    cells = [c.source for c in read(path if path.exists() else source_notebook(assignment)).cells
             if c.cell_type == "code" and "course.widgets" in c.source]
    assert len(cells) == 1, f"{assignment}: expected one explorer cell, found {len(cells)}"
    return cells[0]


def headless(assignment: str):
    """Run the explorer cell in this process and return the explorer its last line makes."""
    source = explorer_source(assignment)
    *body, last = source.strip().splitlines()
    scope: dict = {}
    exec("\n".join(body), scope)  # noqa: S102 - the course's own notebook cell
    return eval(last, scope)      # noqa: S307


def _png_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    return Image.open(io.BytesIO(data)).size


class Lab:
    """JupyterLab with one notebook of explorer cells, open in headless Chromium; bounded waits."""

    def __init__(self, page, deadline: float, log: Path, console: list[str]):
        self.page, self.deadline, self.log, self.console = page, deadline, log, console
        self.stages: list[str] = []

    def left_ms(self, most_s: float) -> float:
        """Milliseconds for the next wait: ``most_s`` at most, never past the overall budget."""
        return max(1.0, min(most_s, self.deadline - time.monotonic())) * 1000

    def failure(self, name: str, err: Exception) -> AssertionError:
        with contextlib.suppress(Exception):
            self.page.screenshot(path=ARTIFACTS / f"browser-{name}-failure.png", timeout=10_000)
        return AssertionError(
            f"{name}: failed at '{self.stages[-1] if self.stages else 'start'}' "
            f"(stages: {', '.join(self.stages)}):\n{err}"
            "\n--- browser console errors ---\n" + "\n".join(self.console[-20:])
            + f"\n--- JupyterLab log tail ({self.log}) ---\n{_tail(self.log)}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Start JupyterLab on a notebook of every explorer cell and open it at 1366 × 768."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    tmp_path = tmp_path_factory.mktemp("browser")
    work = tmp_path / "lab"
    work.mkdir()
    names = list(CASES)
    sources = {}
    for name in names:
        sources.setdefault(CASES[name].assignment, explorer_source(CASES[name].assignment))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources.values()])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, str(work / "explorers.ipynb"))
    nbformat.write(korean_notebook(), str(work / "korean.ipynb"))
    settings = tmp_path / "settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    log = tmp_path / "jupyterlab.log"
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("browser-*.png"):
        old.unlink()
    console: list[str] = []
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        lab_args = (f"--LabApp.user_settings_dir={settings}",
                    f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=None",
                    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
        server = stack.enter_context(jupyter_server(work, app="lab", log=log, args=lab_args))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                             timeout=60_000)
        stack.callback(browser.close)
        page = browser.new_page(viewport=VIEWPORT)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        state = Lab(page, started + BUDGET_S, log, console)
        state.cells = {a: i for i, a in enumerate(sources)}
        state.open_page = lambda: browser.new_page(viewport=VIEWPORT)
        # Each notebook in a workspace of its own, reset on opening: a second page on the shared default
        # workspace restored the first page's notebook beside its own and raced it for focus.
        state.url = lambda name: (f"{server.url}/lab/workspaces/{Path(name).stem}/tree/{name}"
                                  f"?reset&token={server.token}")
        try:
            _open(state, "explorers.ipynb")
        except Exception as err:
            raise state.failure("open", err) from err
        yield state
    print(f"\nbrowser tests: {time.monotonic() - started:.1f} s in all")


def _open(lab, name: str):
    """Open notebook ``name`` in ``lab``'s page and wait for its kernel to be idle."""
    from playwright.sync_api import expect

    lab.stages.append(f"open {name}")
    lab.page.goto(lab.url(name), timeout=lab.left_ms(60))
    # The workspace may reopen other notebooks as tabs beside this one: take the one on show.
    panel = lab.panel = lab.page.locator(".jp-NotebookPanel:visible").first
    expect(panel).to_be_visible(timeout=lab.left_ms(60))
    lab.stages.append("wait for the kernel to be idle")
    kernel_status = lab.page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$"))
    expect(kernel_status).to_have_count(1, timeout=lab.left_ms(60))
    expect(panel.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
        "data-status", "idle", timeout=lab.left_ms(30))


def _run_cell(lab, index: int):
    """Run notebook cell ``index`` on its own (select it, Ctrl+Enter); return its explorer's locator."""
    from playwright.sync_api import expect

    cell = lab.panel.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed(timeout=lab.left_ms(10))
    cell.locator(".jp-InputArea-editor").click(timeout=lab.left_ms(10))
    expect(cell).to_contain_class("jp-mod-active", timeout=lab.left_ms(10))
    lab.page.keyboard.press("Control+Enter")
    explorer = cell.locator(".course-explorer")
    expect(explorer).to_be_visible(timeout=lab.left_ms(90))
    expect(cell.locator(".jp-InputPrompt", has_text="*")).to_have_count(0, timeout=lab.left_ms(60))
    return explorer


def _box(locator, lab):
    box = locator.bounding_box(timeout=lab.left_ms(10))
    assert box is not None, "not displayed"
    return box


@pytest.mark.parametrize("name", list(CASES))
def test_explorer_pictures_keep_their_size_and_stay_in_view(lab, name):
    """Check after a change at 1366 × 768: native-size pictures, equal cells, picture and status in view"""
    from playwright.sync_api import expect

    case = CASES[name]
    reference = headless(case.assignment)
    case.python(reference)
    try:
        lab.stages = ["run the explorer cell"]
        index = lab.cells[case.assignment]
        explorer = _run_cell(lab, index)      # a fresh explorer, even where an earlier case used this cell
        lab.stages.append("scroll the explorer to the top")
        explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
        first = explorer.locator(f".course-{case.changed[0].replace('_', '-')} img, "
                                 f"img.course-{case.changed[0].replace('_', '-')}").first
        before = first.get_attribute("src", timeout=lab.left_ms(10))
        lab.stages.append(f"change {case.control}")
        control = explorer.locator(f".course-{case.control.replace('_', '-')}").first
        if case.action == "key":
            control.locator(".noUi-handle").focus(timeout=lab.left_ms(10))
            lab.page.keyboard.press("ArrowRight")
        elif case.button is not None:
            control.locator("button", has_text=case.button).click(timeout=lab.left_ms(10))
        else:
            control.locator("input").click(timeout=lab.left_ms(10))
        lab.stages.append("wait for the redraw")
        lab.page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                                   arg=[first.element_handle(timeout=lab.left_ms(10)), before],
                                   timeout=lab.left_ms(30))
        expect(explorer.locator(".course-status")).not_to_be_empty(timeout=lab.left_ms(10))
        lab.page.wait_for_timeout(300)       # let the other pictures of the same change arrive
        explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
        explorer.screenshot(path=ARTIFACTS / f"browser-{name}.png", timeout=lab.left_ms(10))

        lab.stages.append("check the picture sizes")
        sizes = {}
        for image in [reference.input_image if hasattr(reference, "input_image") else None,
                      *getattr(reference, "images", ()),
                      *[getattr(reference, a, None) for a in ("output_image", "hist_image", "image",
                                                              "naive_image")]]:
            if image is None or not image.value:
                continue
            css = next(c for c in image._dom_classes if c.startswith("course-"))
            box = _box(explorer.locator(f"img.{css}, .{css} img").first, lab)
            sizes[css] = (round(box["width"]), round(box["height"]))
            assert sizes[css] == _png_size(image.value), (css, sizes[css], _png_size(image.value))
        if case.grids is not None:
            columns = case.grids(reference)
            width_in, width_out = sizes["course-input-picture"][0], sizes["course-output-picture"][0]
            assert (width_in - 1) / columns[0] == (width_out - 1) / columns[1], (sizes, columns)

        lab.stages.append("check that the redrawn pictures and the status are in view")
        view = _box(lab.panel.locator(".jp-WindowedPanel-outer, .jp-Notebook").first, lab)
        bottom = min(view["y"] + view["height"], VIEWPORT["height"])
        right = min(view["x"] + view["width"], VIEWPORT["width"])
        for css in [*case.changed, "status"]:
            box = _box(explorer.locator(f".course-{css.replace('_', '-')}").first, lab)
            assert box["y"] >= view["y"] - 1 and box["y"] + box["height"] <= bottom + 1, (css, box, view)
            assert box["x"] >= 0 and box["x"] + box["width"] <= right + 1, (css, box, view)
    except Exception as err:
        raise lab.failure(name, err) from err
    finally:
        reference.close()


HANGUL = re.compile("[가-힣]")


def test_a_korean_notebook_shows_its_explorer_in_korean_and_follows_the_slider(lab):
    """Check the Korean edition in the browser: Korean prose, a Korean explorer, native-size pictures"""
    from playwright.sync_api import expect

    from course.i18n import use_language

    korean = Lab(lab.open_page(), lab.deadline, lab.log, lab.console)
    korean.url = lab.url
    use_language("ko")
    reference = headless(KOREAN)
    reference.stride.value += 1
    try:
        _open(korean, "korean.ipynb")
        korean.stages.append("read the title")
        title = korean.panel.locator(".jp-MarkdownOutput h1").first
        expect(title).to_have_text(HANGUL, timeout=korean.left_ms(30))
        korean.stages.append("run the setup cell")
        cell = korean.panel.locator(".jp-Notebook .jp-Cell").nth(1)
        cell.locator(".jp-InputArea-editor").click(timeout=korean.left_ms(10))
        expect(cell).to_contain_class("jp-mod-active", timeout=korean.left_ms(10))
        korean.page.keyboard.press("Control+Enter")
        expect(cell.locator(".jp-InputPrompt", has_text=re.compile(r"\[\d+\]"))).to_have_count(
            1, timeout=korean.left_ms(60))
        korean.stages.append("run the explorer cell")
        explorer = _run_cell(korean, 2)
        explorer.evaluate("e => e.scrollIntoView({block: 'start'})")
        status = explorer.locator(".course-status")
        expect(status).to_have_text(HANGUL, timeout=korean.left_ms(10))
        before = status.inner_text(timeout=korean.left_ms(10))
        korean.stages.append("move the stride slider")
        explorer.locator(".course-stride .noUi-handle").first.focus(timeout=korean.left_ms(10))
        korean.page.keyboard.press("ArrowRight")
        expect(status).not_to_have_text(before, timeout=korean.left_ms(30))
        expect(status).to_have_text(HANGUL, timeout=korean.left_ms(10))
        korean.page.wait_for_timeout(300)
        explorer.screenshot(path=ARTIFACTS / "browser-korean.png", timeout=korean.left_ms(10))
        korean.stages.append("check the picture sizes")
        picture = explorer.locator("img.course-output-picture, .course-output-picture img").first
        picture = _box(picture, korean)
        assert (round(picture["width"]), round(picture["height"])) == _png_size(reference.output_image.value)
    except Exception as err:
        raise korean.failure("korean", err) from err
    finally:
        reference.close()
        korean.page.close()
