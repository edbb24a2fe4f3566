/**
 * Builds samples/sample-artifact.json, the rule artifact used by the `npm start` demo.
 * Run: npx tsx scripts/build-sample-artifact.ts   (deterministic: same output on every run)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { anArtifact, browserIs, paramEquals, urlContains, vec } from "../src/testing";

/** The demo artifact (pure; imported by the tests to check the committed file is up to date). */
export function buildSampleArtifact() {
  return (
    anArtifact({
      client: "demo",
      organizationId: "DEMO0000000000000000000@AdobeOrg",
      generatedAt: "2024-01-01T00:00:00.000Z",
    })
      // A/B: hero banner copy, 50/50.
      .abActivity({
        id: 100001,
        name: "Hero headline test",
        mbox: "hero",
        metrics: [{ type: "click", selector: "#hero-cta" }],
        experiences: [
          { name: "Control", weight: 50, json: { headline: "Decide in microseconds", cta: "Get started" } },
          { name: "Benefit-led", weight: 50, json: { headline: "Personalise without the round trip", cta: "Try it now" } },
        ],
      })
      // A/B: three pricing layouts, 34/33/33 (even split).
      .abActivity({
        id: 100002,
        name: "Pricing page layout",
        mbox: "pricing",
        experiences: [
          { name: "Monthly first", html: '<div class="pricing monthly-first">Monthly from $9</div>' },
          { name: "Annual first", html: '<div class="pricing annual-first">Annual from $90 (2 months free)</div>' },
          { name: "Single plan", html: '<div class="pricing single">One plan, $12/month</div>' },
        ],
      })
      // XT: Firefox users get a dedicated promo.
      .xtActivity({
        id: 100003,
        name: "Firefox promo",
        mbox: "promo",
        experiences: [
          { name: "Firefox users", audience: browserIs("firefox"), json: { message: "Thanks for using Firefox!", discount: 15 } },
          { name: "Everyone else", json: { message: "Welcome!", discount: 0 } },
        ],
      })
      // XT: sale banner on URLs containing "/sale".
      .xtActivity({
        id: 100004,
        name: "Sale banner",
        mbox: "banner",
        experiences: [
          { name: "Sale pages", audience: urlContains("/sale"), html: '<div class="banner sale">Up to 50% off today</div>' },
          { name: "Default", html: '<div class="banner">Free shipping over $50</div>' },
        ],
      })
      // XT: recommendations by the "category" mbox parameter.
      .xtActivity({
        id: 100005,
        name: "Category recommendations",
        mbox: "recommendations",
        experiences: [
          { name: "Shoes", audience: paramEquals("category", "shoes", { ignoreCase: true }), json: { items: ["runner-2", "trail-x", "court-classic"] } },
          { name: "Hats", audience: paramEquals("category", "hats", { ignoreCase: true }), json: { items: ["beanie", "sun-hat"] } },
          { name: "Best sellers", json: { items: ["gift-card", "runner-2", "beanie"] } },
        ],
      })
      // Views (SPA): A/B on "home", XT on "product".
      .viewActivity({
        id: 100006,
        name: "Home view hero",
        view: "home",
        metrics: [{ type: "click", selector: "#home-cta" }],
        experiences: [
          { name: "A", weight: 50, actions: [vec.setHtml("#home h1", "Welcome back"), vec.setStyle("#home-cta", { "background-color": "rgba(0,120,215,1)" })] },
          { name: "B", weight: 50, actions: [vec.setHtml("#home h1", "Good to see you")] },
        ],
      })
      .viewActivity({
        id: 100007,
        name: "Product view badge",
        view: "product",
        experiences: [
          { name: "Shoes badge", audience: paramEquals("category", "shoes", { ignoreCase: true }), actions: [vec.insertAfter("#product .title", '<span class="badge">Best seller</span>')] },
          { name: "Default", actions: [vec.insertAfter("#product .title", '<span class="badge">New</span>')] },
        ],
      })
      // pageLoad (global mbox): an html offer for everyone and a VEC A/B test.
      .pageLoadActivity({
        id: 100008,
        name: "Site-wide notice",
        experiences: [{ name: "Notice", html: '<div class="notice">Demo site: decisions are made on-device</div>' }],
      })
      .pageLoadActivity({
        id: 100009,
        name: "Footer test",
        experiences: [
          { name: "Control", weight: 50, actions: [] },
          { name: "Highlighted footer", weight: 50, actions: [vec.setStyle("footer", { "background-color": "rgba(255,255,170,1)" }), vec.setHtml("footer .tagline", "Made for speed")] },
        ],
      })
      // Decided server-side only (a hybrid client forwards it to the Delivery API).
      .remoteMbox("server-side-only")
      .build()
  );
}

export const SAMPLE_ARTIFACT_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../samples/sample-artifact.json");

/** The exact file content (pretty JSON, trailing newline). */
export function sampleArtifactText(): string {
  return `${JSON.stringify(buildSampleArtifact(), null, 2)}\n`;
}

// Write only when run as a script, not when imported.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(path.dirname(SAMPLE_ARTIFACT_PATH), { recursive: true });
  writeFileSync(SAMPLE_ARTIFACT_PATH, sampleArtifactText());
  console.log(`wrote ${path.relative(process.cwd(), SAMPLE_ARTIFACT_PATH)}`);
}
