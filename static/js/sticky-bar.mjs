// Keeps the field that has focus clear of the page's sticky bar of buttons (WCAG 2.4.11).
//
// The stylesheet keeps the bar's height clear at the bottom when the browser scrolls a field
// into view (scroll-padding-bottom, from --csp-sticky-height, which this keeps to the bar's
// real height: it changes with the screen's width and when its "not saved yet" note shows).
// Chromium does not scroll at all for a field that is already inside the window, even when it
// is under the bar, so after each move of focus this also scrolls such a field up into view.
const GAP = 12; // pixels between the field and the bar

export function measureStickyBar(root = document) {
  const bar = root.querySelector(".csp-sticky-actions");
  if (!bar) return;
  const set = () =>
    document.documentElement.style.setProperty("--csp-sticky-height", `${bar.offsetHeight}px`);
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(set).observe(bar);
  set();

  root.addEventListener("focusin", (event) => {
    const field = event.target;
    if (!(field instanceof Element) || bar.contains(field)) return;
    // After the browser's own scrolling for the focus, if any.
    window.requestAnimationFrame(() => {
      const box = field.getBoundingClientRect();
      const barTop = bar.getBoundingClientRect().top;
      const hidden = box.bottom + GAP - barTop;
      if (hidden > 0 && box.top < window.innerHeight) {
        window.scrollBy({ top: Math.min(hidden, Math.max(box.top - GAP, 0)), behavior: "instant" });
      }
    });
  });
}
