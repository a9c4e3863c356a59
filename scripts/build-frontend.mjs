// Builds the GOV.UK Design System (from node_modules) and our own styles into static/build/.
// Run by `make install` through `npm run build`; the output is never committed.
import { compile } from "sass";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "build");
mkdirSync(out, { recursive: true });

const result = compile(join(root, "static", "src", "csp.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
// The footer's crest is the royal coat of arms, reserved for GOV.UK like the crown: we never show
// it, so its image is not shipped and the one rule that points at it draws nothing.
const css = result.css.replaceAll(/url\("[^"]*govuk-crest\.svg"\)/g, "none");
if (/url\(/.test(css.replaceAll(/url\(["']?data:/g, ""))) {
  throw new Error("csp.css points at an image file we do not ship: " + css.match(/url\([^)]*\)/)[0]);
}
writeFileSync(join(out, "csp.css"), css);

const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
copyFileSync(join(govuk, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
console.log(`Built ${out}`);
