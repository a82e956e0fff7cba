"""Printable documents as PDF (WeasyPrint), from the same HTML people see, in print media."""

from __future__ import annotations

from importlib.resources import files

__all__ = ["html_to_pdf"]


def html_to_pdf(html: str) -> bytes:
    """``html`` rendered as a PDF with ldn's stylesheet (its print rules hide navigation)."""
    from weasyprint import CSS, HTML

    css = (files("ldn.web") / "static" / "ldn.css").read_text(encoding="utf-8")
    pdf: bytes = HTML(string=html).write_pdf(
        stylesheets=[CSS(string=css + "\n@page { size: A4; margin: 16mm; }")]
    )
    return pdf
