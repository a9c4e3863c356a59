// Keeps a background render's progress page up to date without reloading it on a timer.
//
// While the page's #render-progress carries data-csp-refresh (seconds), it fetches the same
// page again that often and puts the new #render-progress in place. When the render has
// finished (the new one has no data-csp-refresh), it stops and moves focus to the new heading,
// so a screen reader hears the result ("Report issued", or what went wrong).
export function followRenderProgress(root = document) {
  const current = root.getElementById("render-progress");
  const seconds = Number(current?.dataset.cspRefresh);
  if (!current || !seconds) return;

  const check = async () => {
    let html;
    try {
      const response = await fetch(window.location.href, {
        cache: "no-store",
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!response.ok) throw new Error(response.statusText);
      html = await response.text();
    } catch {
      window.setTimeout(check, seconds * 2000); // the server is busy or away: try more slowly
      return;
    }
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const next = fresh.getElementById("render-progress");
    const shown = document.getElementById("render-progress");
    if (!next || !shown) return;
    shown.replaceWith(next);
    document.title = fresh.title;
    if (next.dataset.cspRefresh) {
      window.setTimeout(check, seconds * 1000);
    } else {
      next.querySelector("h1")?.focus();
    }
  };
  window.setTimeout(check, seconds * 1000);
}
