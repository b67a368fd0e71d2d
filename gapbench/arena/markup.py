"""Prompts and answers as safe HTML: Markdown rendered by markdown-it-py with raw HTML turned off.

Model text is hostile input. With `html: False`, markdown-it escapes every tag (`<script>` is shown as text, an
`<img onerror=…>` too) and its link validator refuses javascript:, vbscript:, file: and data: URLs. Images are
off (a stored answer must not make the page fetch anything); links open in a new tab without a referrer. Code
fences become <pre><code>, and single newlines are kept as line breaks, as chat answers expect.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_MD = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False}).enable("table").disable("image")


def _link_open(renderer, tokens, idx, options, env):
    tokens[idx].attrSet("target", "_blank")
    tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
    return renderer.renderToken(tokens, idx, options, env)


_MD.add_render_rule("link_open", _link_open)


def markdown(text: str) -> Markup:
    """HTML for a prompt or an answer: escaped first by the parser, then a Markdown subset rendered."""
    return Markup(_MD.render(text or ""))
