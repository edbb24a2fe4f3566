/**
 * The client layer: the TargetClient facade and the types of its options and results. The rest of
 * the folder (composition, call context, pipeline, result assembly) is internal.
 */
export { TargetClient } from "./node-target-client";
export type { ClientStatus } from "./target-client";
export type { GetOffersOptions, ReadyOptions } from "./call-options";
export { DECISIONING_METHODS, DEFAULTS } from "./options";
export type { ClientOptions, DecisioningMethod, EventName, EventListener } from "./options";
export type { GetOffersResult, ResultMeta, ArtifactFreshness, Cookie } from "./result";
export type { Attributes } from "./attributes";
