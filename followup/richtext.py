"""Minutes in rich text: a small, safe subset of HTML, sanitised with nh3 when saved.

Plain text (nothing that looks like a tag) is accepted too: its paragraphs and line breaks
are kept."""

import re

import nh3
from django.utils.html import linebreaks

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "th": {"scope"}}
MAX_CHARS = 50_000
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")


def sanitise(text: str) -> str:
    """Safe HTML from what the user typed: plain text becomes paragraphs; tags outside the
    short list, scripts, styles, event handlers and javascript: links are removed."""
    text = (text or "").strip()
    if not text:
        return ""
    if not TAG.search(text):
        text = linebreaks(text, autoescape=True)
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()
