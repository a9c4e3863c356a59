// Starts the GOV.UK Frontend components (the service navigation's menu, error summaries …).
// A file, not an inline script, so the Content Security Policy can forbid inline scripts.
import { initAll } from "../build/govuk-frontend.min.js";
import { autosave } from "./autosave.mjs";
import { followRenderProgress } from "./render-progress.mjs";
import { measureStickyBar } from "./sticky-bar.mjs";
import { warnOfUnsavedChanges } from "./unsaved-changes.mjs";

initAll();
followRenderProgress();
measureStickyBar();
warnOfUnsavedChanges();
autosave();
