// A change page's edits not saved are not lost without a word: leaving the page (a link, the
// Acknowledge or Unmute button of a device's attention item, which posts a form of its own)
// while its form holds what was typed and not saved asks first, as the browser asks
// ("Leave site? Changes you made may not be saved"). Saving it does not ask.
{
  const changeForm = () => document.querySelector("#content-main form[id$='_form']");
  // what the form would send, a chosen file by its name
  const state = (form) => JSON.stringify(
    [...new FormData(form)].map(([name, value]) => [name, value instanceof File ? value.name : value])
  );
  let saved = null;
  let saving = false;
  window.addEventListener("load", () => {
    const form = changeForm();
    if (form) saved = state(form);
  });
  // after the form's own handlers: a save they stopped (a file over the upload limit) still asks
  document.addEventListener("submit", (event) => {
    if (event.target === changeForm() && !event.defaultPrevented) saving = true;
  });
  window.addEventListener("beforeunload", (event) => {
    const form = changeForm();
    if (saving || saved === null || !form || state(form) === saved) return;
    event.preventDefault();
    event.returnValue = "";  // what older browsers read to ask
  });
}
