// A chart wider than its box (a phone: the charts keep a readable size and scroll in their box)
// opens at its newest end, the right, where the latest runs and readings are: what a person who
// opened a notification's link looks for, not the machine's first weeks.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll(".bt-chart-wrap")) {
    if (box.scrollWidth > box.clientWidth) box.scrollLeft = box.scrollWidth;
  }
});
