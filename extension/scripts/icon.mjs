// Renders extension/media/icon.svg to the 128×128 PNG the Marketplace shows (extension/media/icon.png),
// in Debian's chromium through playwright-core (the same browser the tests use): `node extension/scripts/icon.mjs`.
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const media = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), "media");
const svg = readFileSync(path.join(media, "icon.svg"), "utf8");
const browser = await chromium.launch({ executablePath: process.env.KEEL_CHROMIUM ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('width="256" height="256"', 'width="128" height="128"')}</body></html>`);
  await page.screenshot({ path: path.join(media, "icon.png"), omitBackground: true, clip: { x: 0, y: 0, width: 128, height: 128 } });
} finally {
  await browser.close();
}
console.log(path.join(media, "icon.png"));
