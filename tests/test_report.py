"""The impact report: sections, headline numbers, privacy, and self-containment.

The inputs are the illustrative frames of ``pipelines.report.render.example`` (the shapes the
pipeline will publish), with small cells planted where suppression must act. When the
estimate assets land, a test on the ``demo`` sample will compare the headline with
``estimates_aggregate`` as well.
"""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from pipelines.report.render import ReportInputs, RobustnessInputs, build_report
from pipelines.report.render.aggregate import trends_from_panel
from pipelines.report.render.claims import headline_sentence
from pipelines.report.render.example import example_inputs
from pipelines.report.render.figures import figure_block

SECTION_ORDER = [
    "highlights",
    "study",
    "trends",
    "event-study",
    "cohort-year-effects",
    "for-whom",
    "dose",
    "caveats",
    "methods",
    "estimators",
    "bacon",
    "honest-did",
    "randomization",
    "baseline-equivalence",
    "evidence-standards",
    "program",
    "data-and-sample",
    "provenance",
]
SECTION_ORDER_WITHOUT_ROBUSTNESS = [
    s
    for s in SECTION_ORDER
    if s not in ("bacon", "honest-did", "randomization", "baseline-equivalence")
]
BANNER = "SYNTHETIC DATA — not real students"
PLANTED_MEAN_Z = 0.123456789  # the mean of a 5-student cell: must not reach the page
MAX_BYTES = 10_000_000


class ReportParser(HTMLParser):
    """Collects what the tests look at: sections, cards, count cells, links, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.section_ids: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.scripts: list[str] = []
        self.tables: list[list[list[tuple[str, str]]]] = []
        self.cards: dict[str, str] = {}
        self.figures: list[dict[str, str]] = []
        self._stack: list[tuple[str, dict[str, str]]] = []
        self._text: list[str] | None = None
        self._card: str | None = None
        self._card_text: list[str] = []
        self._in_script = False
        self._script: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        for name in ("src", "href", "action", "data", "poster"):
            if name in attributes:
                self.urls.append((tag, name, attributes[name]))
        if tag == "section":
            self.section_ids.append(attributes.get("id", ""))
        if tag == "script":
            self._in_script, self._script = True, []
        if tag == "table":
            self.tables.append([])
        if tag == "tr" and self.tables:
            self.tables[-1].append([])
        if tag in ("td", "th"):
            self._text = []
            self._stack.append((tag, attributes))
        if tag == "div" and "card" in attributes.get("class", "").split():
            self._card, self._card_text = attributes["data-subject"], []
        if tag == "figure":
            self.figures.append({"caption": ""})
        if tag == "figcaption":
            self._text = []
            self._stack.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
            self.scripts.append("".join(self._script))
        if tag in ("td", "th", "figcaption") and self._stack:
            _, attributes = self._stack.pop()
            text = "".join(self._text or []).strip()
            if tag == "figcaption":
                self.figures[-1]["caption"] = text
            elif self.tables and self.tables[-1]:
                self.tables[-1][-1].append((attributes.get("class", ""), text))
            self._text = None
        if tag == "div" and self._card is not None:  # cards hold no nested divs
            self.cards[self._card] = " ".join("".join(self._card_text).split())
            self._card = None

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self._script.append(data)
        if self._text is not None:
            self._text.append(data)
        if self._card is not None:
            self._card_text.append(data)


def parse(html: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(html)
    return parser


def planted_inputs() -> ReportInputs:
    """Example inputs with cells under 10 students where the report must suppress them."""
    inputs = example_inputs(n_schools=200, seed=7)
    schools = inputs.program.schools.copy()
    schools.loc[schools.index[0], "n_students"] = 7
    trends = inputs.trends.copy()
    small = trends[(trends["cohort"] == 2013) & (trends["year"] == 2006)].index
    trends.loc[small, ["n_students", "n_schools", "mean_z"]] = [5, 1, PLANTED_MEAN_Z]
    groups = inputs.robustness.dose_groups.copy()
    groups.loc[groups.index[0], "n_students"] = 8
    return dataclasses.replace(
        inputs,
        program=dataclasses.replace(inputs.program, schools=schools),
        trends=trends,
        robustness=dataclasses.replace(inputs.robustness, dose_groups=groups),
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportInputs, str, Path]:
    inputs = planted_inputs()
    path = build_report(inputs, tmp_path_factory.mktemp("report") / "impact_report.html")
    size = path.stat().st_size
    print(f"report size: {size / 1e6:.2f} MB ({size:,} bytes) at {path}")
    return inputs, path.read_text(encoding="utf-8"), path


def test_sections_are_in_the_agreed_order(report) -> None:
    _, html, _ = report
    assert parse(html).section_ids == SECTION_ORDER


def test_headline_numbers_equal_the_overall_frame(report) -> None:
    inputs, html, _ = report
    cards = parse(html).cards
    for row in inputs.overall.itertuples(index=False):
        card = cards[row.subject]

        def sd(x: float) -> str:
            return f"{x:.2f}".replace("-", "−")

        def points(x: float) -> str:
            return f"{100 * norm.cdf(x) - 50:.1f}".replace("-", "−")

        assert f"{sd(row.ci_lower)} to {sd(row.ci_upper)}" in card
        assert f"{points(row.att)} percentile points" in card
        assert f"{sd(row.att)} SD" in card
        highlights = html[html.index('<section id="highlights"') : html.index("</section>")]
        assert f"the {int(row.n_treated_schools)} partnered schools" in highlights


def test_ci_including_zero_is_said_in_words(report) -> None:
    inputs, html, _ = report
    cards = parse(html).cards
    overall = inputs.overall.set_index("subject")
    assert overall.loc["math", "ci_lower"] < 0 < overall.loc["math", "ci_upper"]
    assert overall.loc["reading", "ci_lower"] > 0
    assert "we cannot tell" in cards["math"] and "includes zero" in cards["math"]
    assert "includes zero" not in cards["reading"]
    assert "higher than they would have without the program" in cards["reading"]


def test_negative_effect_reads_lower_with_its_interval() -> None:
    sentence = headline_sentence("reading", -0.061, -0.1, -0.022, 13)
    assert "0.06 standard deviations lower" in sentence
    assert "−0.10 to −0.02 standard deviations" in sentence
    assert f"{50 - 100 * norm.cdf(-0.061):.1f} percentile points" in sentence


def test_no_published_count_is_under_ten_and_hidden_cells_come_in_pairs(report) -> None:
    _, html, _ = report
    parsed = parse(html)
    count_cells = 0
    suppressed_tables = 0
    for table in parsed.tables:
        line_counts = []
        for row in table:
            cells = [text for css, text in row if "n" in css.split()]
            count_cells += len(cells)
            for text in cells:
                if text in ("*", "–"):
                    continue
                assert int(text.replace(",", "")) >= 10, f"published count {text}"
            line_counts.append(cells)
        hidden_rows = [sum(c == "*" for c in cells) for cells in line_counts if cells]
        if any(hidden_rows):
            suppressed_tables += 1
        # The one-column tables publish their total: a lone hidden cell would be recoverable.
        widths = {len(cells) for cells in line_counts if cells}
        if widths == {1}:
            assert sum(hidden_rows) != 1
    assert count_cells > 50
    # The planted school, the planted trends cell and the planted dose group.
    assert suppressed_tables >= 3


def test_the_mean_of_a_small_cell_is_not_published(report) -> None:
    _, html, _ = report
    assert str(PLANTED_MEAN_Z)[:8] not in html


def test_small_dose_group_has_no_published_estimate(report) -> None:
    inputs, html, _ = report
    small = inputs.robustness.dose_groups.iloc[0]
    dose_section = html[html.index('<section id="dose"') :]
    assert f"{small['att']:.3f}" not in dose_section
    assert f"{small['ci_lower']:.2f} to {small['ci_upper']:.2f}".replace("-", "−") not in (
        dose_section
    )


def test_synthetic_banner_on_every_section(report) -> None:
    _, html, _ = report
    sections = re.findall(r"<section id=\"[^\"]+\">(.*?)</section>", html, flags=re.S)
    assert len(sections) == len(SECTION_ORDER)
    assert all(BANNER in section for section in sections)
    assert 'class="fixed-banner"' in html
    assert "@top-center" in html  # printed pages repeat it in the margin


def test_real_data_report_has_no_banner_and_skips_absent_robustness(tmp_path: Path) -> None:
    inputs = dataclasses.replace(
        example_inputs(n_schools=120, seed=3), is_synthetic=False, robustness=RobustnessInputs()
    )
    html = build_report(inputs, tmp_path / "report.html").read_text(encoding="utf-8")
    assert BANNER not in html
    assert parse(html).section_ids == SECTION_ORDER_WITHOUT_ROBUSTNESS
    assert "Goodman-Bacon decomposition" not in html
    assert "HonestDiD" not in html.split('<section id="methods"')[0]
    assert "Effects by dose group were not estimated in this run." in html


def test_no_external_resource_is_referenced(report) -> None:
    _, html, _ = report
    parsed = parse(html)
    for tag, attribute, url in parsed.urls:
        assert url.startswith("#"), f"<{tag} {attribute}={url!r}> leaves the file"
    style = html[html.index("<style>") : html.index("</style>")]
    assert "url(" not in style and "@import" not in style
    assert "<link" not in html and "<iframe" not in html and "<img" not in html
    assert "mathjax" not in html.lower().split("</script>", 1)[1]


def test_plotly_js_is_inline_exactly_once_and_each_chart_uses_it(report) -> None:
    _, html, _ = report
    parsed = parse(html)
    library = [s for s in parsed.scripts if "plotly.js v" in s[:200]]
    assert len(library) == 1
    assert len(library[0]) > 1_000_000
    assert html.count("* plotly.js v") == 1
    charts = re.findall(r'class="plotly-graph-div"', html)
    # program 2, then per subject trends, event study and heatmap, then comparison, Bacon,
    # HonestDiD and dose: one chart each.
    assert len(charts) == html.count("Plotly.newPlot(") == 2 + 3 * 2 + 4
    assert all(figure["caption"] for figure in parsed.figures)
    assert len(parsed.figures) == len(charts)


def test_test_changes_are_marked_on_the_trends(report) -> None:
    inputs, html, _ = report
    trends = html[html.index('<section id="trends"') : html.index('<section id="event-study"')]
    for year in inputs.data.tests["first_year"].iloc[1:]:
        assert f'"x0":{year - 0.5}' in trends
    assert '"text":"no test"' in trends


def test_report_states_its_provenance(report) -> None:
    inputs, html, _ = report
    assert inputs.data.ledger_hash in html
    assert "2025-01-15 02:30 UTC" in html
    assert f"from {inputs.data.file_count} raw files" in html


def test_report_file_is_small_enough(report) -> None:
    _, _, path = report
    assert path.stat().st_size <= MAX_BYTES


def test_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    inputs = example_inputs(n_schools=60, seed=1)
    broken = dataclasses.replace(inputs, event_study=inputs.event_study.drop(columns="ci_upper"))
    with pytest.raises(ValueError, match=r"event_study is missing columns \['ci_upper'\]"):
        build_report(broken, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_figure_without_axis_title_is_refused() -> None:
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[1], y=[1]))
    fig.update_layout(title="A title", xaxis_title="Year")
    with pytest.raises(ValueError, match="yaxis title"):
        figure_block(fig, "fig-x", "reading")


def test_trends_from_panel_weights_by_students() -> None:
    panel = pd.DataFrame(
        {
            "subject": ["reading"] * 4,
            "cohort": [2012, 2012, 0, 0],
            "year": [2011] * 4,
            "school_id": [1, 2, 3, 4],
            "mean_z": [-0.5, 0.1, 0.2, np.nan],
            "n_tested": [30, 10, 50, 40],
        }
    )
    trends = trends_from_panel(panel).set_index("cohort")
    assert trends.loc[2012, "mean_z"] == pytest.approx((-0.5 * 30 + 0.1 * 10) / 40)
    assert trends.loc[2012, "n_students"] == 40
    assert trends.loc[0, "n_students"] == 50  # the school with no mean is not counted
    assert trends.loc[0, "n_schools"] == 1


def test_caveat_follows_the_pre_trend_test(tmp_path: Path) -> None:
    inputs = example_inputs(n_schools=120, seed=3)
    pretrend = inputs.pretrend.copy()
    pretrend["p_value"] = 0.5
    parallel = build_report(
        dataclasses.replace(inputs, pretrend=pretrend), tmp_path / "parallel.html"
    ).read_text(encoding="utf-8")
    assert "The pre-program checks support it but cannot prove it." in parallel

    pretrend.loc[pretrend["subject"] == "math", "p_value"] = 0.001
    diverging = build_report(
        dataclasses.replace(inputs, pretrend=pretrend), tmp_path / "diverging.html"
    ).read_text(encoding="utf-8")
    assert "The pre-program checks support it" not in diverging
    assert "For Math, the pre-program check rejects it" in diverging
