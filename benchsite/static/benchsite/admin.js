// Copy buttons: <button data-copy-target="ID"> copies the text of #ID.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copyTarget);
  const text = source.textContent.trim();
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    // Plain-HTTP LAN pages have no clipboard API: select the text for Ctrl+C instead.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand && document.execCommand("copy");
  }
  // the label as written, kept once: a second click within the 1.5 s took "Copied" for it
  button.dataset.label ??= button.textContent;
  button.textContent = "Copied";
  clearTimeout(button.copiedTimer);
  button.copiedTimer = setTimeout(() => { button.textContent = button.dataset.label; }, 1500);
  // said to a screen reader too (the page's polite live region, made once)
  let status = document.getElementById("bt-copy-status");
  if (!status) {
    status = document.createElement("p");
    status.id = "bt-copy-status";
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    document.body.append(status);
  }
  status.textContent = "";
  setTimeout(() => { status.textContent = "Copied to the clipboard"; }, 50);
});
