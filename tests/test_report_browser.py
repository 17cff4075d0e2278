"""The impact report in a real browser: offline, no errors, every chart drawn.

Headless Chromium (the system package) opens the report from ``file://`` with the network
switched off. It fails, rather than skips, when Chromium is missing: the report's promise to
open offline is only checked here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.report.render import build_report
from pipelines.report.render.example import example_inputs
from tests.browser.chromium import ChromiumMissingError, check_chromium, visit


@pytest.mark.slow  # about 6 s on an idle machine: browser start and 5 MB of plotly.js
def test_report_opens_offline_with_every_chart_rendered(tmp_path: Path) -> None:
    try:
        check_chromium()
    except ChromiumMissingError as problem:
        pytest.fail(str(problem))
    report = build_report(example_inputs(n_schools=300, seed=11), tmp_path / "impact_report.html")

    page = visit(report, tmp_path / "chromium-profile", tmp_path / "impact_report.png")

    assert page.console_errors == []
    assert page.page_errors == []
    assert page.requests == [page.url], "the report requested something besides itself"
    assert len(page.charts) == report.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert len(page.charts) >= 10
    assert page.unrendered_charts == []
    assert page.screenshot is not None and page.screenshot.stat().st_size > 50_000
    print(f"screenshot: {page.screenshot}")
