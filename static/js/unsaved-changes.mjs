// Warns before leaving a page whose form holds changes that have not been saved.
//
// A form marked data-csp-unsaved is compared, field by field, with what it held when the page
// was drawn; if it differs when the visitor leaves (a link, the back button, closing the tab),
// the browser asks first. Sending the form is not leaving. A page drawn with typed work the
// server kept back (a figure to correct) is marked data-csp-unsaved="kept" and counts as
// changed from the start. When autosave.mjs has stored some updates ("csp:saved", naming their
// prefixes), their fields count as saved. Without JavaScript nothing warns, and the page works
// as before.
export function warnOfUnsavedChanges(root = document) {
  for (const form of root.querySelectorAll("form[data-csp-unsaved]")) {
    watch(form);
  }
}

// What the form would send, field by field: files by name and size.
export function snapshot(form) {
  const fields = new Map();
  for (const [name, value] of new FormData(form)) {
    if (name === "csrfmiddlewaretoken") continue;
    const shown = typeof value === "string" ? value : `${value.name}:${value.size}`;
    fields.set(name, [...(fields.get(name) || []), shown]);
  }
  return fields;
}

function differs(now, then) {
  const names = new Set([...now.keys(), ...then.keys()]);
  for (const name of names) {
    if (JSON.stringify(now.get(name) || []) !== JSON.stringify(then.get(name) || [])) return true;
  }
  return false;
}

function watch(form) {
  let baseline = snapshot(form);
  let kept = form.dataset.cspUnsaved === "kept";
  let sending = false;
  const note = form.querySelector("[data-csp-unsaved-note]");

  const changed = () => kept || differs(snapshot(form), baseline);
  const show = () => {
    if (note) note.hidden = !changed();
  };
  form.addEventListener("input", show);
  form.addEventListener("change", show);
  form.addEventListener("submit", () => {
    sending = true;
  });
  form.addEventListener("csp:saved", (event) => {
    // Those updates' own fields are stored now (not their comments or files: never autosaved).
    const now = snapshot(form);
    for (const prefix of event.detail?.saved || []) {
      for (const [name, value] of now) {
        if (name.startsWith(`${prefix}-`) && !/-(comment|evidence|remove-evidence)$/.test(name)) {
          baseline.set(name, value);
        }
      }
    }
    // Work kept back by the server stays unsaved until a save takes it (it may fail again).
    if (!event.detail?.failed?.length && !differs(now, baseline)) kept = false;
    show();
  });
  window.addEventListener("beforeunload", (event) => {
    if (sending || !changed()) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers show their own words, never ours
  });
  show();
}
