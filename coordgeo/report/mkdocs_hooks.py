"""MkDocs hook of the project documentation (``hooks:`` in the root ``mkdocs.yml``).

Fills the generated parts of ``docs/cli.md`` and ``docs/api.md`` at build time
(:mod:`coordgeo.report.clidoc`), so they follow the installed code.
"""

from __future__ import annotations

from coordgeo.report.clidoc import API_MARKER, CLI_MARKER, api_reference, cli_reference


def on_page_markdown(markdown: str, **kwargs) -> str:
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if API_MARKER in markdown:
        markdown = markdown.replace(API_MARKER, api_reference())
    return markdown
