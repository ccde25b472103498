"""The report as a person sees it: opened in headless Chromium, screenshotted and inspected.

Chromium runs as a plain subprocess: ``--enable-logging=stderr --v=0`` prints every console
message (errors, uncaught exceptions, Content-Security-Policy violations) as a ``CONSOLE``
line, ``--dump-dom`` prints the DOM after scripts ran and ``--screenshot`` saves the viewport.
The page's CSP forbids every network load, so a reference to anything external shows up as a
console message too; the negative tests prove both kinds of failure are caught.  Skipped only
where Chromium is absent (`make test` installs the Debian package where it can).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from bench import storage
from bench.render.html import document, page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test-deps installs it)")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND",  # belt and braces: nothing resolves during tests
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]
#: 'INFO:CONSOLE:12] "message", source: ...' (older Chromium: 'INFO:CONSOLE(12)]')
CONSOLE = re.compile(r"CONSOLE[:(]\d*\)?\]\s*(.*)")
LAPTOP = (1366, 768)
PLOT_BLUE = (0x1F, 0x77, 0xB4)  # the first strategy's colour in every figure


@dataclass
class Page:
    console: list[str]
    dom: str
    screenshot: Path


def _stop_group(process: subprocess.Popen[str], started: float) -> None:
    """Chromium's helpers (zygote, renderer) share its process group: none may outlive the test.

    SIGKILL is not instant: a loaded machine showed a helper still running when the test's leak check
    looked, so the group's members are waited for (a few seconds at most).  Its crash handler
    (chrome_crashpad_handler) leaves the group with a session of its own and outlived a clean clone's
    test: handlers started since this Chromium (``started``, epoch s) by it or orphaned go too."""
    import psutil

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == process.pid or _its_crash_handler(proc, process.pid, started):
                members.append(proc)
                proc.kill()
        except (ProcessLookupError, psutil.Error):
            continue
    psutil.wait_procs(members, timeout=5)


def _its_crash_handler(proc, chromium: int, started: float) -> bool:
    """A crash handler this Chromium started: its child, or an orphan (reparented to init or to this
    process, a subreaper in some tests) created since it started."""
    return (proc.name().startswith("chrome_crashpad") and proc.create_time() >= started - 1.0
            and proc.ppid() in (chromium, 1, os.getpid()))


def open_page(html: Path, workdir: Path, size: tuple[int, int] = LAPTOP) -> Page:
    shot = workdir / f"screenshot-{size[0]}x{size[1]}.png"
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={workdir / 'profile'}", f"--window-size={size[0]},{size[1]}",
               f"--screenshot={shot}", "--dump-dom", html.resolve().as_uri()]
    started = time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        _stop_group(process, started)
        process.communicate()
        pytest.fail("Chromium did not finish within 120 s")
    finally:
        _stop_group(process, started)
    assert shot.exists(), f"no screenshot; Chromium said: {err[-500:]}"
    return Page(console=[m.group(1) for m in map(CONSOLE.search, err.splitlines()) if m], dom=out, screenshot=shot)


@pytest.fixture(scope="module")
def report_html(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "small_run.html"
    results = storage.load(Path(__file__).parent / "fixtures" / "small_run.json")
    document.write(page.build(results, source="tests/fixtures/small_run.json"), path)
    return path


def _ink(image: Image.Image) -> tuple[int, float]:
    """Distinct colours and the share of pixels clearly darker than the white background."""
    grey = image.convert("L")
    dark = sum(count for value, count in enumerate(grey.histogram()) if value < 200)
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    return len(colours), dark / (image.width * image.height)


def test_report_opens_without_console_messages_and_is_not_blank(report_html, tmp_path, no_leaked_processes):
    page = open_page(report_html, tmp_path)
    assert page.console == []
    assert 'class="sort"' in page.dom  # the sorting script ran to the end
    image = Image.open(page.screenshot).convert("RGB")
    assert image.size == LAPTOP
    top = image.crop((0, 0, image.width, image.height // 2))  # header and the verdict table
    colours, ink = _ink(top)
    assert colours > 30 and ink > 0.02, (colours, ink)
    assert image.getextrema() != ((255, 255), (255, 255), (255, 255))


def test_figures_are_drawn_in_the_browser(report_html, tmp_path, no_leaked_processes):
    """A tall window reaches the workloads' plots: their lines and bars must be on screen."""
    page = open_page(report_html, tmp_path, size=(1366, 3200))
    image = Image.open(page.screenshot).convert("RGB")
    near_blue = sum(count for count, rgb in image.getcolors(maxcolors=1 << 22)
                    if all(abs(a - b) < 12 for a, b in zip(rgb, PLOT_BLUE)))
    assert near_blue > 500, near_blue


def _broken_copy(report_html: Path, tmp_path: Path, injected: str) -> Path:
    html = report_html.read_text(encoding="utf-8").replace("</body>", f"{injected}\n</body>")
    broken = tmp_path / "broken.html"
    broken.write_text(html, encoding="utf-8")
    return broken


def test_a_script_error_would_be_caught(report_html, tmp_path, no_leaked_processes):
    page = open_page(_broken_copy(report_html, tmp_path, "<script>notDefinedAnywhere();</script>"), tmp_path)
    assert any("notDefinedAnywhere" in line for line in page.console), page.console


def test_a_network_reference_would_be_caught(report_html, tmp_path, no_leaked_processes):
    page = open_page(_broken_copy(report_html, tmp_path, '<img src="https://example.com/x.png" alt="">'), tmp_path)
    assert any("Content Security Policy" in line for line in page.console), page.console


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory) -> Path:
    """A synthetic run with tree accounting and per-task times: every new section is drawn."""
    from bench.testing import demo_results

    path = tmp_path_factory.mktemp("demo") / "demo.html"
    document.write(page.build(demo_results(), source="demo.json"), path)
    return path


def test_why_sections_are_drawn_in_the_browser(demo_html, tmp_path, no_leaked_processes):
    """The dot plot and the time split reach the screen at laptop width, with no console message."""
    page = open_page(demo_html, tmp_path, size=(1366, 2600))
    assert page.console == []
    for alt in ("per strategy at 2 cores, warm and cold", "went per strategy at 2 cores"):
        assert alt in page.dom
    image = Image.open(page.screenshot).convert("RGB")
    work_blue = (0x4C, 0x78, 0xA8)  # the time split's "work" segments
    near = sum(count for count, rgb in image.getcolors(maxcolors=1 << 22)
               if all(abs(a - b) < 12 for a, b in zip(rgb, work_blue)))
    assert near > 2000, near


#: run in the page after its own script: every element whose content is cut (overflow hidden,
#: clipped or scrolled) or that reaches past the window's right edge, and the page's height
PROBE = """<script>
(function () {
  "use strict";
  var clipped = [];
  var width = document.documentElement.clientWidth;
  Array.prototype.forEach.call(document.querySelectorAll("body *"), function (el) {
    var style = getComputedStyle(el);
    if (style.display === "none" || el.closest("details:not([open])") || el.closest(".raw")) { return; }
    var wide = style.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1;
    var tall = style.overflowY !== "visible" && el.scrollHeight > el.clientHeight + 1;
    if (wide || tall || el.getBoundingClientRect().right > width + 1) {
      clipped.push(el.tagName.toLowerCase() + "." + el.className + " " + (el.textContent || "").slice(0, 60));
    }
  });
  var raw = document.querySelector(".raw");
  if (raw && raw.scrollWidth > raw.clientWidth + 1) { clipped.push("the raw table scrolls sideways"); }
  var out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({height: document.documentElement.scrollHeight, clipped: clipped});
  document.body.appendChild(out);
})();
</script>"""


def _probed(page: Page) -> dict:
    import html
    import json

    found = re.search(r'<pre id="probe">(.*?)</pre>', page.dom, re.DOTALL)
    assert found, "the probe did not run"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("which", ["report_html", "demo_html"])
def test_no_text_is_clipped_at_laptop_width_and_no_console_message(which, request, tmp_path, no_leaked_processes):
    probed = open_page(_broken_copy(request.getfixturevalue(which), tmp_path, PROBE), tmp_path, size=(1366, 900))
    assert probed.console == []
    found = _probed(probed)
    assert found["clipped"] == [], found["clipped"]
    assert found["height"] < 8000, found["height"]


#: a speed-up tick label of a figure ('x0.5', 'x2') and where the SVG puts it
TICK = re.compile(r'<text[^>]*\bx="([-\d.]+)" y="([-\d.]+)"[^>]*>x([\d.]+)</text>')


def speedup_axis_kind(svg: str) -> str | None:
    """'log' or 'linear' from the positions of a figure's speed-up tick labels (None: no such axis).

    Ticks on a log axis are equally far apart per factor, on a linear one per unit: whichever
    the positions fit better is the axis the reader sees."""
    import math

    ticks = [(float(x), float(y), float(v)) for x, y, v in TICK.findall(svg)]
    if len(ticks) < 3:
        return None
    along = 0 if len({round(y) for _, y, _ in ticks}) == 1 else 1
    positions = [t[along] for t in ticks]

    def misfit(scale) -> float:
        xs = [scale(t[2]) for t in ticks]
        n, mx, my = len(xs), sum(xs) / len(xs), sum(positions) / len(positions)
        slope = sum((a - mx) * (b - my) for a, b in zip(xs, positions)) / sum((a - mx) ** 2 for a in xs)
        return sum((b - my - slope * (a - mx)) ** 2 for a, b in zip(xs, positions)) / n

    return "log" if misfit(math.log) < misfit(lambda v: v) else "linear"


def test_every_figure_draws_speed_up_on_the_same_axis_kind(demo_html, tmp_path, no_leaked_processes):
    import base64

    rendered = open_page(demo_html, tmp_path)
    sources = re.findall(r'<img[^>]*src="data:image/svg\+xml;base64,([^"]+)"', rendered.dom)
    kinds = [speedup_axis_kind(base64.b64decode(src).decode("utf-8")) for src in sources]
    assert kinds.count("log") >= 2 and set(kinds) <= {"log", None}, kinds


def test_the_axis_check_can_tell_a_linear_axis():
    linear = "".join(f'<text x="{10 + 50 * v}" y="5">x{v}</text>' for v in (0.5, 1, 1.5, 2))
    log = "".join(f'<text x="3" y="{100 - 40 * __import__("math").log(v)}">x{v}</text>' for v in (0.1, 1, 2, 5))
    assert (speedup_axis_kind(linear), speedup_axis_kind(log), speedup_axis_kind("")) == ("linear", "log", None)


def test_clipped_text_would_be_caught(report_html, tmp_path, no_leaked_processes):
    cut = '<div style="width: 60px; overflow: hidden; white-space: nowrap">a sentence far wider than its box</div>'
    probed = open_page(_broken_copy(report_html, tmp_path, cut + PROBE), tmp_path, size=(1366, 900))
    assert any("a sentence far wider" in line for line in _probed(probed)["clipped"])
