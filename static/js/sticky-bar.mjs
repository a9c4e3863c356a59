// Keeps --csp-sticky-height on the page to the height of its sticky bar of buttons.
//
// The stylesheet keeps that much room clear at the bottom when the browser scrolls a field into
// view (scroll-padding-bottom), so the field that has focus is never hidden under the bar. The
// bar's height changes with the screen's width and when its "not saved yet" note shows.
export function measureStickyBar(root = document) {
  const bar = root.querySelector(".csp-sticky-actions");
  if (!bar || typeof ResizeObserver === "undefined") return;
  const set = () =>
    document.documentElement.style.setProperty("--csp-sticky-height", `${bar.offsetHeight}px`);
  new ResizeObserver(set).observe(bar);
  set();
}
