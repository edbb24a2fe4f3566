/* global crypto, document, localStorage, location, navigator, performance, URL, URLSearchParams */
// Decides an mbox in the page from the rules artifact: no call to Adobe's Delivery API.
// Settings come from the query string: ?artifact=<url>&mbox=<name>&client=<code>&org=<id>&visitor=<id>.
import { TargetClient } from "on-device-decisioning/edge";

const params = new URLSearchParams(location.search);
const settings = {
  artifact: params.get("artifact") ?? "./rules.json",
  mbox: params.get("mbox") ?? "mbox-magician",
  client: params.get("client") ?? "someClientId",
  organizationId: params.get("org") ?? "someOrgId",
};
const status = document.getElementById("status");

/** The visitor's id: from the query string, else one kept in localStorage (stable allocation). */
function visitorId() {
  const given = params.get("visitor");
  if (given) return given;
  let id = localStorage.getItem("odd-visitor-id");
  if (!id) {
    id = crypto.randomUUID().replaceAll("-", "");
    localStorage.setItem("odd-visitor-id", id);
  }
  return id;
}
const output = document.getElementById("decision");

async function main() {
  const client = TargetClient.create({
    client: settings.client,
    organizationId: settings.organizationId,
    decisioningMethod: "on-device",
    artifactLocation: new URL(settings.artifact, location.href).href,
    // A demo: report nothing to Adobe (prefetch decisions send no notifications anyway).
    telemetryEnabled: false,
  });
  await client.ready({ timeout: 10_000 });
  const tntId = visitorId();
  const started = performance.now();
  const { response, meta } = await client.getOffers({
    request: {
      id: { tntId },
      context: { channel: "web", address: { url: location.href }, userAgent: navigator.userAgent },
      prefetch: { mboxes: [{ name: settings.mbox, index: 1 }] },
    },
  });
  const ms = (performance.now() - started).toFixed(2);
  const options = response.prefetch?.mboxes?.[0]?.options ?? [];
  status.textContent =
    `mbox "${settings.mbox}" for visitor ${tntId}: decided ${meta.decisioningMethod} in ${ms} ms ` +
    `from artifact ${meta.artifact?.version ?? "?"}`;
  // Offer content is data: shown as text, never injected as HTML.
  output.textContent = options.length > 0 ? JSON.stringify(options.map((o) => o.content), null, 2) : "(no offer for this visitor)";
  document.body.dataset.decided = "true";
  await client.close();
}

main().catch((err) => {
  status.textContent = `Failed: ${err.code ?? ""} ${err.message}`;
  status.className = "meta error";
  document.body.dataset.decided = "error";
});
