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


MAX_PRINTED_PAGES = 16
NEAR_EMPTY_SHARE = 0.15  # a page drawing less than this share of the median page is near-empty


@pytest.mark.slow  # the demo pipeline run (shared with the claims test), then ~15 s of browser
def test_demo_report_prints_on_few_letter_pages_with_the_highlights_first(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    from tests.browser.chromium import PRINTABLE_HEIGHT_PX, print_report
    from tests.report_claims import expected_claims
    from tests.test_report_pipeline import shared_run

    run = shared_run(tmp_path_factory, "demo", 2012)
    printed = print_report(run.report, tmp_path / "profile", tmp_path / "report.pdf", tmp_path)
    median = sorted(printed.page_text_sizes)[len(printed.page_text_sizes) // 2]
    print(f"printed pages: {printed.pages}; content bytes per page: {printed.page_text_sizes}")
    print(f"screenshots: {tmp_path}")
    assert 1 < printed.pages <= MAX_PRINTED_PAGES
    assert min(printed.page_text_sizes) >= NEAR_EMPTY_SHARE * median
    expected = expected_claims(run.data)
    first_page = " ".join(printed.first_page_text.split())
    assert expected["bottom line"] in first_page
    highlights = [claim for key, claim in expected.items() if key.startswith("highlight ")]
    assert highlights and all(claim in first_page for claim in highlights)
    # Everything before the findings' page break fits on page 1.
    assert 0 < printed.first_part_height <= PRINTABLE_HEIGHT_PX
    phone = " ".join(printed.phone_first_screen.split())
    assert expected["bottom line"] in phone
