"""A report sheet as a PDF table (reportlab). The text is set in reportlab's built-in CID font
STSong-Light, which renders Chinese and Latin alike without shipping a font file."""

import io
from xml.sax.saxutils import escape

from django.utils.formats import number_format

FONT = "STSong-Light"


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _cell(value, type: str) -> str:
    if value is None:
        return ""
    if type == "text":
        return str(value)
    if type == "percent":
        return f"{number_format(value, 1)} %"
    if type in ("hours", "rating"):
        return number_format(value, 2)
    return number_format(value, use_l10n=True)


def pdf_bytes(sheet) -> bytes:
    """The sheet (`reports.exports.Sheet`) on landscape A4 pages, its header repeated on each page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_font()
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=landscape(A4), title=sheet.title, leftMargin=12 * mm, rightMargin=12 * mm
    )
    heading = ParagraphStyle("heading", fontName=FONT, fontSize=14, leading=18)
    small = ParagraphStyle("small", fontName=FONT, fontSize=9, leading=12)
    header = [Paragraph(escape(text), small) for text in sheet.headers]
    body = [[_cell(value, type) for value, type in zip(row, sheet.types, strict=True)] for row in sheet.rows]
    table = Table([header, *body], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
            ]
        )
    )
    document.build(
        [
            Paragraph(escape(sheet.title), heading),
            Paragraph(escape(sheet.period), small),
            Spacer(1, 4 * mm),
            table,
        ]
    )
    return out.getvalue()
