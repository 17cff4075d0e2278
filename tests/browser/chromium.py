"""Open a local HTML file in headless Chromium and record what happened.

Playwright drives the Debian ``chromium`` package at ``/usr/bin/chromium`` (never a browser
downloaded by ``playwright install``). The flags turn off everything Chromium would fetch on
its own (updates, sync, QUIC probes), so any request recorded comes from the page.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_PATH = Path(os.environ.get("PARTNER_IMPACT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHART_SELECTOR = ".plotly-graph-div"
# A chart is rendered when plotly has drawn its SVG plot area and it has a size on the page.
_CHART_STATUS_JS = """
(selector) => Array.from(document.querySelectorAll(selector)).map(div => {
    const svg = div.querySelector('.main-svg');
    const box = svg ? svg.getBoundingClientRect() : null;
    return {id: div.id, rendered: !!svg && box.width > 0 && box.height > 0};
})
"""
_ALL_RENDERED_JS = f"""
(selector) => ({_CHART_STATUS_JS})(selector).every(chart => chart.rendered)
"""


@dataclass
class PageVisit:
    """What a page did while it loaded: console errors, requests, charts, screenshot."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def unrendered_charts(self) -> list[str]:
        return [chart["id"] for chart in self.charts if not chart["rendered"]]


class ChromiumMissingError(RuntimeError):
    """The browser (or its driver) is not installed: a setup problem, said plainly."""


def check_chromium() -> None:
    """Raise :class:`ChromiumMissingError` with the fix when the browser cannot be driven."""
    if not CHROMIUM_PATH.exists():
        raise ChromiumMissingError(
            f"Chromium not found at {CHROMIUM_PATH}: install the Debian package "
            "(`apt-get install -y chromium`; `make test` does it when missing) or set "
            "PARTNER_IMPACT_CHROMIUM to its path."
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        raise ChromiumMissingError(
            "the `playwright` Python package (a dev dependency) is not installed: "
            "`pip install -e '.[dev]'`. Do not run `playwright install`: the system Chromium "
            "is used."
        ) from error


def visit(
    html_path: Path, user_data_dir: Path, screenshot_path: Path, timeout_ms: int = 30_000
) -> PageVisit:
    """Open ``html_path`` from ``file://`` offline, wait for every chart, take a screenshot."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    check_chromium()
    result = PageVisit(url=html_path.resolve().as_uri())
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(CHROMIUM_PATH),
            headless=True,
            args=CHROMIUM_FLAGS,
            offline=True,
            viewport={"width": 1200, "height": 900},
        )
        try:
            context.on("request", lambda request: result.requests.append(request.url))
            page = context.new_page()
            page.on(
                "console",
                lambda message: (
                    result.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error: result.page_errors.append(str(error)))
            page.goto(result.url, wait_until="load", timeout=timeout_ms)
            # On a timeout the chart list below says which charts did not render.
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_function(_ALL_RENDERED_JS, arg=CHART_SELECTOR, timeout=timeout_ms)
            result.charts = page.evaluate(_CHART_STATUS_JS, CHART_SELECTOR)
            page.screenshot(path=str(screenshot_path), full_page=True)
            result.screenshot = screenshot_path
        finally:
            context.close()
    return result


@dataclass
class PrintedReport:
    """The report printed to PDF on Letter paper, and what a phone's first screen shows."""

    pdf: Path
    pages: int
    page_text_sizes: list[
        int
    ]  # decompressed content-stream bytes per page: a near-empty page is small
    first_page_text: str  # the text of the printed page 1 (as laid out by print media)
    phone_first_screen: str  # visible text within the first 390 x 844 screen
    first_part_height: float  # CSS px from the top to the findings' forced page break, printed


_FIRST_SCREEN_TEXT_JS = """
([height]) => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const text = node.textContent.trim();
        if (!text || node.parentElement.closest('script, style')) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const rects = Array.from(range.getClientRects());
        if (rects.some(r => r.width > 0 && r.top >= 0 && r.bottom <= height)) out.push(text);
    }
    return out.join(' ');
}
"""
# Text above the first forced page break when laid out for print: what page 1 carries, given
# that the highlights fit on it (the PDF's page count tells if they did not).
_FIRST_PAGE_TEXT_JS = """
() => {
    const stop = document.querySelector('.part-findings');
    const limit = stop ? stop.getBoundingClientRect().top + window.scrollY : Infinity;
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const text = node.textContent.trim();
        if (!text || node.parentElement.closest('script, style')) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
        if (rects.length && rects[0].top + window.scrollY < limit) out.push(text);
    }
    return [out.join(' '), stop ? limit : -1];
}
"""
# What the page does on ``beforeprint`` (page.pdf does not fire it).
_PRINT_LAYOUT_JS = "() => window.partnerImpactPrintLayout().then(() => true)"
LETTER_WIDTH_PX = 816  # 8.5 in at 96 px per inch
LETTER_HEIGHT_PX = 1056
PRINTABLE_HEIGHT_PX = LETTER_HEIGHT_PX - 2 * 1.4 / 2.54 * 96  # the report's @page margins


def print_report(
    html_path: Path, user_data_dir: Path, pdf_path: Path, shots: Path | None = None
) -> PrintedReport:
    """Print ``html_path`` to a Letter PDF as a browser does; measure page 1 and a phone screen.

    With ``shots`` (a folder), also save the desktop highlights, the phone's first screen and
    page 1 as laid out for print, as PNG files.
    """
    from playwright.sync_api import sync_playwright

    check_chromium()
    url = html_path.resolve().as_uri()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(CHROMIUM_PATH),
            headless=True,
            args=CHROMIUM_FLAGS,
            offline=True,
            viewport={"width": 1200, "height": 900},
        )
        try:
            page = context.new_page()
            page.goto(url, wait_until="load")
            page.wait_for_function(_ALL_RENDERED_JS, arg=CHART_SELECTOR, timeout=60_000)
            if shots:
                page.screenshot(path=str(shots / "desktop_highlights.png"))
            # Lay the page out as on paper: charts redraw at the printable width.
            page.set_viewport_size({"width": LETTER_WIDTH_PX - 96, "height": LETTER_HEIGHT_PX})
            page.emulate_media(media="print")
            page.evaluate(_PRINT_LAYOUT_JS)
            page.wait_for_timeout(500)
            first_page_text, first_part_height = page.evaluate(_FIRST_PAGE_TEXT_JS)
            if shots:
                page.screenshot(
                    path=str(shots / "print_page1.png"),
                    clip={"x": 0, "y": 0, "width": LETTER_WIDTH_PX - 96, "height": 930},
                )
            page.pdf(path=str(pdf_path), format="Letter", print_background=True)
            phone = context.new_page()
            phone.set_viewport_size({"width": 390, "height": 844})
            phone.goto(url, wait_until="load")
            phone_text = phone.evaluate(_FIRST_SCREEN_TEXT_JS, [844])
            if shots:
                phone.screenshot(path=str(shots / "phone_first_screen.png"))
        finally:
            context.close()
    sizes = pdf_page_content_sizes(pdf_path.read_bytes())
    return PrintedReport(
        pdf_path, len(sizes), sizes, first_page_text, phone_text, first_part_height
    )


def pdf_page_content_sizes(pdf: bytes) -> list[int]:
    """Decompressed size of each page's content stream, in page order (Chromium's PDFs)."""
    import re
    import zlib

    objects = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", pdf, flags=re.S)
    }

    def stream_size(number: int) -> int:
        body = objects.get(number, b"")
        match = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, flags=re.S)
        if not match:
            return 0
        data = match.group(1)
        try:
            return len(zlib.decompress(data)) if b"/FlateDecode" in body else len(data)
        except zlib.error:
            return len(data)

    def kids(number: int) -> list[int]:
        body = objects[number]
        if re.search(rb"/Type\s*/Pages\b", body):
            listed = re.search(rb"/Kids\s*\[(.*?)\]", body, flags=re.S).group(1)
            return [k for ref in re.findall(rb"(\d+) 0 R", listed) for k in kids(int(ref))]
        return [number]

    root = next(n for n, body in objects.items() if re.search(rb"/Type\s*/Catalog\b", body))
    pages_ref = int(re.search(rb"/Pages\s+(\d+) 0 R", objects[root]).group(1))
    sizes = []
    for page in kids(pages_ref):
        contents = re.search(rb"/Contents\s+(?:\[(.*?)\]|(\d+) 0 R)", objects[page], flags=re.S)
        refs = (
            re.findall(rb"(\d+) 0 R", contents.group(1))
            if contents.group(1)
            else [contents.group(2)]
        )
        sizes.append(sum(stream_size(int(ref)) for ref in refs))
    return sizes
