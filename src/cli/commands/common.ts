/** Options and helpers shared by the commands that read an artifact. */
import type { Artifact } from "../../artifact/schema";
import { DecisioningError } from "../../errors";
import type { OptionSpec, OptionTable } from "../args";

/** `--artifact`: the artifact a local decision reads (decide, allocate). */
export const ARTIFACT_SOURCE_OPTION: OptionSpec = {
  type: "string",
  short: "a",
  value: "FILE|URL|-",
  help: "the artifact (rules.json or rules.bin); required",
};

export const ARTIFACT_OPTIONS: OptionTable = {
  org: {
    type: "string",
    value: "ORG",
    help: "IMS organization id; required to decode rules.bin [ODD_ORG_ID]",
  },
  quiet: { type: "boolean", short: "q", help: "no progress on stderr" },
  progress: {
    type: "boolean",
    help: "always show progress on stderr (default: for inputs of 256 KB or more)",
  },
};

/** Placeholder organization when neither --org nor the artifact names one (used for nothing local). */
export const UNKNOWN_ORG = "unknown@AdobeOrg";

/** The client code and organization for local decisions: explicit values, else the artifact's meta. */
export function artifactIdentity(
  artifact: Artifact,
  client: string | undefined,
  org: string | undefined,
): { client: string; organizationId: string } {
  const meta = artifact.meta ?? {};
  const code =
    client ?? (typeof meta.clientCode === "string" && meta.clientCode ? meta.clientCode : undefined);
  if (!code) {
    throw new DecisioningError(
      "ODE_ERR_INVALID_OPTION",
      "The artifact names no client (meta.clientCode): pass --client (or ODD_CLIENT); allocation depends on it",
      { details: { option: "client" } },
    );
  }
  const organizationId =
    org ??
    (typeof meta.organizationId === "string" && meta.organizationId ? meta.organizationId : UNKNOWN_ORG);
  return { client: code, organizationId };
}
