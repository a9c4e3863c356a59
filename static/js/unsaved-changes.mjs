// Warns before leaving a page whose form holds changes that have not been saved.
//
// A form marked data-csp-unsaved is compared with what it held when the page was drawn; if it
// differs when the visitor leaves (a link, the back button, closing the tab), the browser asks
// first. Sending the form is not leaving. A page drawn with typed work the server kept back (a
// figure to correct) is marked data-csp-unsaved="kept" and counts as changed from the start.
// Without JavaScript nothing warns, and the page works as before.
export function warnOfUnsavedChanges(root = document) {
  for (const form of root.querySelectorAll("form[data-csp-unsaved]")) {
    watch(form);
  }
}

// What the form would send, as text: files by name and size.
export function snapshot(form) {
  const parts = [];
  for (const [name, value] of new FormData(form)) {
    if (name === "csrfmiddlewaretoken") continue;
    parts.push([name, typeof value === "string" ? value : `${value.name}:${value.size}`]);
  }
  return JSON.stringify(parts);
}

function watch(form) {
  let baseline = snapshot(form);
  let kept = form.dataset.cspUnsaved === "kept";
  let sending = false;
  const note = form.querySelector("[data-csp-unsaved-note]");

  const changed = () => kept || snapshot(form) !== baseline;
  const show = () => {
    if (note) note.hidden = !changed();
  };
  form.addEventListener("input", show);
  form.addEventListener("change", show);
  form.addEventListener("submit", () => {
    sending = true;
  });
  // Another module (autosave) says the form's contents are now stored.
  form.addEventListener("csp:saved", () => {
    baseline = snapshot(form);
    kept = false;
    show();
  });
  window.addEventListener("beforeunload", (event) => {
    if (sending || !changed()) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers show their own words, never ours
  });
  show();
}
