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


@dataclass(frozen=True)
class Section:
    """One report section: its anchor id, heading and body HTML."""

    id: str
    title: str
    body: str


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
        provenance=provenance_line(facts),
        toc="".join(f'<li><a href="#{s.id}">{html_text(s.title)}</a></li>' for s in sections),
        sections="\n".join(_section_html(s, is_synthetic) for s in sections),
    )


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
