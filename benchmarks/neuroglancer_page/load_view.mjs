// Load one neuroglancer view cold in headless Chromium and report when its chunks are done.
//
//   node load_view.mjs PAGE_URL STATE_JSON_FILE [PROFILE_DIR]
//
// Prints one JSON line: {"ms": time from navigation to the last chunk answer, "chunks": [urls],
// "failed": [urls], "other": [non-chunk urls], "first_ms": when the first chunk was asked for,
// "chunk_ms": [asked, answered] of each answered chunk as the browser saw it, "other_ms": [url,
// asked, answered] of each other request, all in ms from navigation}. A fresh Chromium profile
// each run (PROFILE_DIR, removed by the caller), so nothing is cached. Run from the build folder (build.sh), where
// playwright-core is installed.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [pageUrl, stateFile, profile] = process.argv.slice(2);
const state = readFileSync(stateFile, "utf8");
const QUIET_MS = 1500; // no chunk pending or started for this long: the view is loaded
const TIMEOUT_MS = 120000;
const isChunk = (url) => /\/(raw\/0_1_2|subvolblocks)\/\d+_\d+_\d+\/|\/s0\/\d+-\d+_\d+-\d+_\d+-\d+$/.test(url);

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1280, height: 960 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"],
});
const chunks = [], failed = [], other = [], timeline = [];
const asked = new Map(), otherAsked = new Map(), otherTimes = [];
let pending = 0, lastEvent = 0, lastDone = 0, first = null;
context.on("request", (request) => {
  if (!isChunk(request.url())) { other.push(request.url()); otherAsked.set(request, Date.now()); return; }
  chunks.push(request.url());
  pending += 1;
  lastEvent = Date.now();
  asked.set(request, lastEvent);
  if (first === null) first = lastEvent;
});
const finish = (request, ok) => {
  if (!isChunk(request.url())) {
    if (otherAsked.has(request)) otherTimes.push([request.url(), otherAsked.get(request) - t0, Date.now() - t0]);
    return;
  }
  if (!ok) failed.push(`${request.url()} ${request.failure()?.errorText}`);
  pending -= 1;
  lastEvent = lastDone = Date.now();
  if (ok && asked.has(request)) timeline.push([asked.get(request) - t0, lastDone - t0]);
};
context.on("requestfinished", (request) => finish(request, true));
context.on("requestfailed", (request) => finish(request, false));

const page = context.pages()[0] || (await context.newPage());
const errors = [];
page.on("pageerror", (error) => errors.push(String(error)));
const t0 = Date.now();
await page.goto(`${pageUrl}#!${encodeURIComponent(state)}`);
while (Date.now() - t0 < TIMEOUT_MS) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (chunks.length > 0 && pending === 0 && Date.now() - lastEvent > QUIET_MS) break;
}
const loaded = chunks.length > 0 && pending === 0;
console.log(JSON.stringify({ ms: loaded ? lastDone - t0 : null, chunks, failed, other, errors,
                              first_ms: first === null ? null : first - t0, chunk_ms: timeline,
                              other_ms: otherTimes }));
await context.close();
