/**
 * The browser build in headless Chromium (Debian's package, driven by playwright-core): the
 * conformance requests decided in the page as in Node, and the example page (examples/browser)
 * showing its decision; its screenshot is saved as docs/img/edge-browser.png.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRunnableBundle } from "../../scripts/edge-bundle";
import { TargetClient as NodeTargetClient } from "../../src/index";
import { conformanceCases, expectConformance, normalizeOutcome } from "../support/conformance-cases";
import { CHROMIUM_ARGS, CHROMIUM_PATH, runtimeGate, tempDir } from "../support/runtimes";
import { loadArtifact } from "../support/shared";
import { runConformanceCase } from "./fixtures/conformance-runner";
import { deliveryRequest, nodeDecision, publishedBrowserModule } from "./support";
import { startServer } from "./support-server";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
/** The committed screenshot is refreshed only on request (ODD_SAVE_SCREENSHOTS=1), not by every run. */
const SAVED_SCREENSHOT = path.join(ROOT, "docs/img/edge-browser.png");
const VISITOR = "338e3c1e51f7416a8e1ccba4f81acea0";
const gate = runtimeGate("chromium");

describe.skipIf(gate.skip)("edge entry in headless Chromium", () => {
  const profile = tempDir("odd-chromium-");
  const artifact = loadArtifact("TEST_ARTIFACT_AB_SIMPLE");
  let site: Awaited<ReturnType<typeof startServer>>;
  let browser: BrowserContext;

  beforeAll(async () => {
    // The page loads the published module (npm run build; `npm test` builds first), as a user's page would.
    const edge = readFileSync(publishedBrowserModule(), "utf8");
    const conformance = await buildRunnableBundle({ entry: path.join(HERE, "fixtures/browser-conformance.ts"), platform: "browser" });
    const file = (name: string) => readFileSync(path.join(ROOT, "examples/browser", name), "utf8");
    const send = (type: string, text: string) => (_req: unknown, _body: string, res: import("node:http").ServerResponse) =>
      void res.writeHead(200, { "content-type": type }).end(text);
    site = await startServer({
      "GET /": send("text/html; charset=utf-8", file("index.html")),
      "GET /main.js": send("text/javascript", file("main.js")),
      "GET /on-device-decisioning.edge.js": send("text/javascript", edge),
      "GET /rules.json": send("application/json", JSON.stringify(artifact)),
      "GET /conformance.html": send("text/html", '<!doctype html><script type="module" src="/conformance.js"></script>'),
      "GET /conformance.js": send("text/javascript", conformance),
    });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 900, height: 420 },
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    profile.remove();
  });

  it("decides the conformance requests in the page exactly as Node does", async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/conformance.html`);
    await page.waitForFunction(() => typeof (globalThis as any).runConformanceCase === "function");
    const now = Date.now();
    for (const c of conformanceCases()) {
      const input = { ...c.input, now };
      const inPage = await page.evaluate((arg) => (globalThis as any).runConformanceCase(arg), input);
      expectConformance(c, inPage as any);
      const node = JSON.parse(JSON.stringify(await runConformanceCase(NodeTargetClient, input)));
      expect(normalizeOutcome(inPage), c.name).toEqual(normalizeOutcome(node));
    }
    await page.close();
  });

  it("the example page shows its decision (screenshot saved)", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${site.url}/?mbox=mbox-magician&visitor=${VISITOR}`);
    await page.waitForSelector("body[data-decided]", { timeout: 15_000 });
    expect(await page.getAttribute("body", "data-decided")).toBe("true");
    expect(errors).toEqual([]);
    const shown = JSON.parse((await page.textContent("#decision"))!);
    const request = deliveryRequest({ prefetch: { mboxes: [{ name: "mbox-magician", index: 1 }] }, tntId: VISITOR });
    const node = await nodeDecision(NodeTargetClient, artifact, request, "s-3");
    expect(shown).toEqual(node.prefetch.mboxes[0].options.map((o: any) => o.content));
    expect(await page.textContent("#status")).toContain("decided on-device");
    const target = process.env.ODD_SAVE_SCREENSHOTS === "1" ? SAVED_SCREENSHOT : path.join(profile.dir, "edge-browser.png");
    mkdirSync(path.dirname(target), { recursive: true });
    const png = await page.screenshot({ path: target });
    expect(png.byteLength).toBeGreaterThan(5000);
    await page.close();
  });
});
