"""The page around the sections: head with inline CSS and plotly.js, banner, contents, footer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

from plotly.offline import get_plotlyjs

from pipelines.report.render.formatting import format_run_time, html_text
from pipelines.report.render.inputs import DataFacts

TEMPLATES_DIR = Path(__file__).with_name("templates")
SYNTHETIC_BANNER = "SYNTHETIC DATA — not real students"
REPORT_TITLE = "Did Instructional Partners raise student achievement?"
PRINT_CHART_SCALE = 0.45  # printed charts are this share of their screen height


PARTS = {
    "highlights": "",
    "findings": "Findings",
    "appendix": "Technical appendix",
}


@dataclass(frozen=True)
class Section:
    """One report section: its anchor id, heading, body HTML and part of the report.

    ``part`` is ``highlights``, ``findings`` or ``appendix``: the structure of an IES
    evaluation report (the bottom line first, then the findings, then the technical details).
    """

    id: str
    title: str
    body: str
    part: str = "findings"


def render_page(sections: list[Section], facts: DataFacts, is_synthetic: bool) -> str:
    """The whole self-contained HTML document."""
    css = (TEMPLATES_DIR / "report.css").read_text(encoding="utf-8")
    if is_synthetic:
        # Printed pages repeat the warning in the page margin, where it covers no content.
        css += (
            "\n@media print { .fixed-banner { display: none; } @page { @top-center { "
            f'content: "{SYNTHETIC_BANNER}"; color: #b91c1c; font-weight: 700; }} }} }}\n'
        )
    template = Template((TEMPLATES_DIR / "page.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=html_text(REPORT_TITLE),
        css=css,
        plotly_js=get_plotlyjs(),
        body_class="synthetic" if is_synthetic else "",
        fixed_banner=(
            f'<div class="fixed-banner" role="alert">{html_text(SYNTHETIC_BANNER)}</div>'
            if is_synthetic
            else ""
        ),
        built=html_text(format_run_time(facts.run_time)),
        provenance=provenance_line(facts),
        print_chart_scale=PRINT_CHART_SCALE,
        sections=_parts_html(sections, is_synthetic, _toc(sections)),
    )


def _toc(sections: list[Section]) -> str:
    items = []
    for part, title in PARTS.items():
        links = "".join(
            f'<li><a href="#{s.id}">{html_text(s.title)}</a></li>'
            for s in sections
            if s.part == part
        )
        if links:
            label = f'<span class="toc-part">{html_text(title)}</span>' if title else ""
            items.append(f"<li>{label}<ol>{links}</ol></li>")
    return "".join(items)


def _parts_html(sections: list[Section], is_synthetic: bool, toc: str) -> str:
    """Sections grouped in their parts, each part headed (the highlights need no heading).

    The contents follow the highlights, so a phone's first screen shows the bottom line.
    """
    html = []
    for part, title in PARTS.items():
        members = [s for s in sections if s.part == part]
        if not members:
            continue
        heading = f'<h2 class="part-title">{html_text(title)}</h2>' if title else ""
        inner = "\n".join(_section_html(s, is_synthetic) for s in members)
        html.append(f'<div class="part part-{part}" id="part-{part}">{heading}{inner}</div>')
        if part == "highlights":
            html.append(
                f'<nav class="contents" aria-label="Contents"><h2>Contents</h2><ol>{toc}</ol></nav>'
            )
    return "\n".join(html)


def provenance_line(facts: DataFacts) -> str:
    """Which data the report was built from: run time, file count and ledger hash."""
    built = html_text(format_run_time(facts.run_time))
    return (
        f"Built {built} from {facts.file_count:,} raw files · ingest ledger hash "
        f"<code>{html_text(facts.ledger_hash)}</code>"
    )


def _section_html(section: Section, is_synthetic: bool) -> str:
    banner = f'<p class="section-banner">{html_text(SYNTHETIC_BANNER)}</p>' if is_synthetic else ""
    return (
        f'<section id="{section.id}">{banner}<h2>{html_text(section.title)}</h2>'
        f"{section.body}</section>"
    )
