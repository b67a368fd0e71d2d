"""`gapbench report`: one self-contained HTML file (or Markdown, or JSON) of everything in the store.

build.py turns the store into the report's data, render.py renders it. The data follows
`gapbench.schema.report.Report` (every section optional except meta; `meta.unavailable` maps a missing section
to the reason it is missing); `gapbench schema report` prints its JSON Schema.
"""

from gapbench.report.build import SECTIONS, build_report
from gapbench.report.render import FORMATS, render_html, render_json, render_markdown
from gapbench.report.render import render as render_report  # the name `render` stays the submodule

__all__ = ["SECTIONS", "FORMATS", "build_report", "render_report", "render_html", "render_json", "render_markdown"]
