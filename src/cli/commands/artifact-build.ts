/** `odd artifact build`: compiles a tenant's authored activities from a store into an artifact, offline. */
import { DecisioningError } from "../../errors";
import { defaultStoreUrl } from "../../storage/url";
import { envValue, EXIT_OK, str, UsageError, type Command } from "../args";
import { writeOutput } from "../io";

/** Something the store does not hold: a failure (exit 1), not a usage error. */
function failure(message: string, option: string): DecisioningError {
  return new DecisioningError("ODE_ERR_ADMIN_NOT_FOUND", message, { details: { option } });
}

export const buildCommand: Command = {
  name: "artifact build",
  summary: "Compile the activities a store holds for a client into rules.json (or rules.bin), without a running service.",
  options: {
    store: { type: "string", value: "URL", help: "store URL: sqlite:<file> or postgres://… (default sqlite:.odd/odd.db) [ODD_STORE]" },
    client: { type: "string", value: "CLIENT", help: "the tenant / client code to compile; required [ODD_CLIENT]" },
    environment: { type: "string", value: "ENV", help: "environment name (default production)" },
    "property-token": { type: "string", value: "TOKEN", help: "compile the artifact of this property token" },
    org: { type: "string", value: "ORG", help: "organization id for meta and the rules.bin key (default <CLIENT>@AdobeOrg) [ODD_ORG_ID]" },
    format: { type: "string", value: "json|bin", help: "output format (default: bin when --out ends in .bin, else json)" },
    out: { type: "string", short: "o", value: "FILE", help: "output file (default: stdout)" },
  },
  details: `Writes exactly what \`odd serve\` publishes at /{client}/{environment}/v1/[{token}/]rules.json.
The store is only read: an unknown client, environment or property token fails with exit 1.`,
  async run(args, io) {
    const client = str(args, "client") ?? envValue(io, "ODD_CLIENT");
    if (!client) throw new UsageError("--client (or ODD_CLIENT) is required");
    const out = str(args, "out");
    const format = str(args, "format") ?? (out?.endsWith(".bin") ? "bin" : "json");
    if (format !== "json" && format !== "bin") throw new UsageError("--format must be json or bin");
    if (format === "bin" && (!out || out === "-") && io.stdout.isTTY) throw new UsageError("refusing to write binary data to a terminal; use --out FILE");
    // Loaded on use: the store drivers and the compiler are not needed by the other commands.
    const { createAdminService, openAdminStore } = await import("../../admin/index");
    const { buildArtifact, defaultOrganizationId } = await import("../../publish/publisher");
    const store = await openAdminStore(str(args, "store") ?? envValue(io, "ODD_STORE") ?? defaultStoreUrl());
    try {
      if (!(await store.tenants()).includes(client)) throw failure(`The store holds nothing for client "${client}"`, "client");
      const snapshot = await createAdminService({ store }).snapshot(client);
      const wanted = (str(args, "environment") ?? "production").toLowerCase();
      const environment = snapshot.environments.find((e) => e.name.toLowerCase() === wanted);
      if (!environment) throw failure(`Client "${client}" has no environment "${wanted}" (${snapshot.environments.map((e) => e.name).join(", ")})`, "environment");
      const token = str(args, "property-token") ?? "";
      if (token && !snapshot.properties.some((p) => p.token === token)) throw failure(`Client "${client}" has no property token "${token}"`, "property-token");
      const org = str(args, "org") ?? envValue(io, "ODD_ORG_ID") ?? defaultOrganizationId(client);
      const artifact = buildArtifact(snapshot, environment.name, token, Date.now(), org);
      await writeOutput(io, format === "bin" ? Buffer.from(artifact.bin, "base64") : `${artifact.json}\n`, out);
      io.stderr.write(`artifact for ${client}/${environment.name}${token ? `/${token}` : ""}: ${artifact.json.length} bytes, sha256 ${artifact.hash}\n`);
      return EXIT_OK;
    } finally {
      await store.close();
    }
  },
};
