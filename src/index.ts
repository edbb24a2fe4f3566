/**
 * on-device-decisioning: Adobe Target compatible on-device decisioning.
 *
 * @example
 * ```ts
 * import { TargetClient } from "on-device-decisioning";
 * const client = TargetClient.create({ client: "acme", organizationId: "ACME@AdobeOrg", decisioningMethod: "on-device" });
 * await client.ready({ timeout: 5000 });
 * const { response } = await client.getOffers({ request: { execute: { mboxes: [{ name: "hero", index: 1 }] } } });
 * await client.close();
 * ```
 * @packageDocumentation
 */
export { TargetClient } from "./client";
export type { GetOffersOptions, ReadyOptions, ClientStatus } from "./client";
export type { ClientOptions, DecisioningMethod, EventName, EventListener } from "./client";
export { DEFAULTS } from "./client";
export { DecisioningError, ERROR_CODES } from "./errors";
export type { ErrorCode } from "./errors";
export type { GetOffersResult, ResultMeta, ArtifactFreshness, Cookie, Attributes } from "./client";
export type { Artifact, ArtifactRule } from "./artifact/schema";
export type * from "./protocol/delivery";
export type { FetchLike } from "./platform/http";
export type { Scheduler } from "./platform/scheduler";
export type { Logger } from "./logger";
export { compileArtifact } from "./engine/compile";
export type { CompiledArtifact } from "./engine/compile";
export { decide } from "./engine/decide";
/** Public under its first name; it prepares (fills ids and geo), it does not validate. */
export { prepareDecisionRequest as validateDecisionRequest } from "./engine/decide";
export { computeAllocation, hashUnencodedChars } from "./engine/allocation";
export { encodeRulesBin, decodeRulesBin } from "./artifact/rules-bin";
