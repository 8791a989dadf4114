"""What a chart's points say when the pointer is on them: charts.js titles a point from its row
of the chart's data table (its segment's group names the series' column and its first point's
row). The tests read the titles the same way; test_browser.py hovers one in Chromium."""

import re
from html import unescape

_GROUP = re.compile(r'<g class="bt-points[^"]*"[^>]*data-col="(\d+)" data-from="(\d+)">(.*?)</g>')
_SHAPE = re.compile(r"<(?:circle|path) [^>]*>")


def _text(cell: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", cell))


def hover_titles(svg: str, table: str) -> list[tuple[str, str]]:
    """Each point of a chart's drawing (`svg`) as drawn, series by series: (its element's
    opening tag, the title charts.js gives it from the chart's data `table`)."""
    head, body = table.split("<tbody>", 1)
    heads = re.findall(r'<th scope="col"( class="[^"]*")?>(.*?)</th>', head)
    suspect = next((n for n, (kind, _) in enumerate(heads) if "bt-suspect" in kind), None)
    rows = [
        [_text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for kind, row in re.findall(r"<tr( class=\"bt-change-row\")?>(.*?)</tr>", body)
        if not kind
    ]
    points = []
    for column, first, inside in _GROUP.findall(svg):
        label = _text(heads[int(column)][1])
        for n, tag in enumerate(_SHAPE.findall(inside)):
            row = rows[int(first) + n]
            title = f"{label} {row[int(column)]} — {row[0]}"
            if suspect and row[suspect]:
                title += f" — {row[suspect]}"
            points.append((tag, title))
    return points


def page_titles(html: str, chart: str) -> list[str]:
    """The hover titles of the points of a page's chart whose box's id is `chart`."""
    svg = html.split(f'id="{chart}"', 1)[1].split("</svg>", 1)[0]
    table = html.split(f'id="{chart}-data"', 1)[1].split("</table>", 1)[0]
    return [title for _, title in hover_titles(svg, table)]
