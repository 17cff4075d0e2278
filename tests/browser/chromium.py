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
