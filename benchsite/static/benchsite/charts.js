// A chart wider than its box (a phone: the charts keep a readable size and scroll in their box)
// opens at its newest end, the right, where the latest runs and readings are: what a person who
// opened a notification's link looks for, not the machine's first weeks.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".bt-chart-wrap")) {
    if (box.scrollWidth > box.clientWidth) box.scrollLeft = box.scrollWidth;
  }
});

// A chart's point is titled when the pointer comes on it, from its row of the chart's data
// table (which lists every point it draws): "global 104.2 — 2026-12-06 16:17", and a suspect
// run's reasons. Its segment's group says its series' column and its first point's row
// (benchsite/charts.py); a title written into each point was 40 % of a long history's charts.
document.addEventListener("mouseover", (event) => {
  const point = event.target instanceof Element && event.target.closest(".bt-points > *");
  if (!point || point.querySelector("title")) return;
  const group = point.parentNode;
  const table = group.closest(".bt-chart-block")?.querySelector(".bt-chart-table");
  if (!table) return;
  const rows = [...table.tBodies[0].rows].filter((r) => !r.classList.contains("bt-change-row"));
  const row = rows[Number(group.dataset.from) + [...group.children].indexOf(point)];
  const column = Number(group.dataset.col);
  const head = [...table.tHead.rows[0].cells];
  if (!row || !head[column]) return;
  let text = `${head[column].textContent} ${row.cells[column].textContent} — ${row.cells[0].textContent}`;
  const suspect = head.findIndex((cell) => cell.classList.contains("bt-suspect"));
  if (suspect > 0 && row.cells[suspect].textContent) text += ` — ${row.cells[suspect].textContent}`;
  const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
  title.textContent = text;
  point.append(title);
});
