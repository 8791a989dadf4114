// Select2's search box (an autocomplete field of the admin: a device's tags) is made in the page
// with no name: a screen reader read "search box" and nothing of what it searches. A <select>
// that says what its search finds (data-search-label="Find a tag", set by its admin) gives it
// that name once Django's autocomplete.js has made the box: in jQuery's ready handlers, after
// its own (jQuery runs them later than the page's load event, when nothing is left to load),
// and for a row the page adds, after formset:added.
{
  const name = () => {
    for (const select of document.querySelectorAll("select[data-search-label]")) {
      const box = select.parentElement.querySelector(".select2-search__field");
      if (box) box.setAttribute("aria-label", select.dataset.searchLabel);
    }
  };
  document.addEventListener("DOMContentLoaded", () => window.django?.jQuery?.(name));
  document.addEventListener("formset:added", () => setTimeout(name));
}
