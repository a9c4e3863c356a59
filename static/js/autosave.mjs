// Saves the period page's drafts by itself while the editor types (progressive: without
// JavaScript, Save as draft does it).
//
// Every data-csp-autosave seconds, and when the page is hidden (another tab, the phone
// locked), if the form has changed since it was last saved, it is sent with intent=autosave.
// The server saves what is valid as drafts (never submits, never sends comments or files) and
// answers with the new version of each update saved, which go into the form so that the next
// save, by hand or not, is no conflict. A form someone else changed meanwhile stops the
// autosave: the editor's Save as draft then shows both texts. The "csp:saved" event tells
// unsaved-changes.mjs which fields are now stored.
const NOT_AUTOSAVED = /-(comment|evidence|remove-evidence|send)$/;

export function autosave(root = document) {
  for (const form of root.querySelectorAll("form[data-csp-autosave]")) start(form);
}

// The form's own fields that autosave stores, as one text to compare.
function stored(form) {
  const parts = [];
  for (const [name, value] of new FormData(form)) {
    if (typeof value === "string" && !NOT_AUTOSAVED.test(name) && name !== "csrfmiddlewaretoken") {
      parts.push([name, value]);
    }
  }
  return JSON.stringify(parts);
}

function start(form) {
  const seconds = Number(form.dataset.cspAutosave) || 30;
  const status = form.querySelector("[data-csp-autosave-status]");
  let last = stored(form);
  let busy = false;
  let stopped = false;

  const save = async () => {
    const now = stored(form);
    if (busy || stopped || now === last) return;
    busy = true;
    const data = new FormData();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && !NOT_AUTOSAVED.test(name) && name !== "intent") {
        data.append(name, value);
      }
    }
    data.set("intent", "autosave");
    try {
      const response = await fetch(window.location.href, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const result = await response.json();
      for (const [name, version] of Object.entries(result.versions || {})) {
        const input = form.querySelector(`input[name="${CSS.escape(name)}"]`);
        if (input) input.value = String(version);
      }
      if (status && result.message) status.textContent = result.message;
      if (response.status === 409) {
        stopped = true;
      } else {
        last = stored(form);
        const detail = { saved: result.saved || [], failed: result.failed || [] };
        form.dispatchEvent(new CustomEvent("csp:saved", { detail }));
      }
    } catch {
      if (status) status.textContent = "Not saved automatically just now: your text is still here.";
    } finally {
      busy = false;
    }
  };

  window.setInterval(save, seconds * 1000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save();
  });
  form.addEventListener("csp:autosave", save); // saving now, on request (the browser tests)
  form.addEventListener("submit", () => {
    stopped = true; // the editor's own save takes over
  });
}
