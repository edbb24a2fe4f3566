/**
 * The client layer as Node uses it: the TargetClient facade on the Node platform and the types of
 * its options and results. The rest of the folder (composition, call context, pipeline, result
 * assembly) is internal; an edge entry uses ./target-client with its own ClientPlatform.
 */
export { TargetClient } from "./node";
export type { ClientStatus } from "./target-client";
export type { ClientPlatform } from "./platform";
export type { GetOffersOptions, ReadyOptions } from "./call-options";
export { DECISIONING_METHODS, DEFAULTS } from "./options";
export type { ClientOptions, DecisioningMethod, EventName, EventListener } from "./options";
export type { GetOffersResult, ResultMeta, ArtifactFreshness, Cookie } from "./result";
export type { Attributes } from "./attributes";
