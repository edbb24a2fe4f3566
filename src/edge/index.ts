/**
 * on-device-decisioning for edge runtimes (Cloudflare Workers / workerd, Deno, Vercel Edge,
 * browsers and web workers): selected by the `workerd`, `edge-light`, `deno`, `browser` and
 * `worker` export conditions, or imported as `on-device-decisioning/edge`.
 *
 * The same TargetClient API as the Node entry, on web-platform APIs only (global fetch, Web
 * Crypto), with an edge-shaped lifecycle: no background work, the artifact loaded by the first
 * call and revalidated by calls, notifications handed to `waitUntil`. See docs/edge.md.
 *
 * @example
 * ```ts
 * import { TargetClient, createDeliveryHandler, kvArtifactSource } from "on-device-decisioning/edge";
 * let handler;
 * export default {
 *   fetch(request, env, ctx) {
 *     if (!handler) {
 *       const client = TargetClient.create({ client: "acme", organizationId: "ACME@AdobeOrg",
 *         artifactSource: kvArtifactSource(env.TARGET_ARTIFACTS, "rules.json") });
 *       handler = createDeliveryHandler({ client, clientCode: "acme", organizationId: "ACME@AdobeOrg" });
 *     }
 *     return handler(request, { waitUntil: (p) => ctx.waitUntil(p) });
 *   },
 * };
 * ```
 * @packageDocumentation
 */
export { TargetClient } from "./target-client";
export type { EdgeClientOptions, EdgeCallOptions, EdgeGetOffersOptions } from "./target-client";
export { createDeliveryHandler, DEFAULT_MAX_BODY_BYTES } from "./delivery";
export type { DecidingClient, DeliveryHandlerOptions, RequestContext } from "./delivery";
export { kvArtifactSource, kvCacheStorage, webCacheStorage } from "./storage";
export type { CacheLike, KvArtifactSourceOptions, KvNamespaceLike } from "./storage";
export { createBackgroundTasks } from "./wait-until";
export type { BackgroundTasks, WaitUntil } from "./wait-until";

export type { GetOffersOptions, ReadyOptions } from "../client/call-options";
export type { ClientStatus } from "../client/target-client";
export type { DecisioningMethod, EventName, EventListener } from "../client/options";
export { DEFAULTS } from "../client/options";
export type { GetOffersResult, ResultMeta, ArtifactFreshness, Cookie } from "../client/result";
export type { Attributes } from "../client/attributes";
export { DecisioningError, ERROR_CODES } from "../errors";
export type { ErrorCode } from "../errors";
export type { Artifact, ArtifactRule } from "../artifact/schema";
export type { ArtifactSource, ArtifactLoadContext, ArtifactLoadResult } from "../artifact/source";
export type { ArtifactCacheStorage } from "../artifact/cache";
export type * from "../protocol/delivery";
export type { FetchLike } from "../platform/http";
export type { Scheduler } from "../platform/scheduler";
export type { Logger } from "../logger";
export { compileArtifact } from "../engine/compile";
export type { CompiledArtifact } from "../engine/compile";
export { decide, prepareDecisionRequest as validateDecisionRequest } from "../engine/decide";
export { computeAllocation, hashUnencodedChars } from "../engine/allocation";
