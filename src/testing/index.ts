/**
 * Test-data builders for on-device decisioning: build valid Target rule artifacts in code and test
 * offline (`on-device-decisioning/testing`). See docs/testing.md.
 *
 * @example
 * ```ts
 * import { anArtifact, urlContains } from "on-device-decisioning/testing";
 * const artifact = anArtifact({ client: "acme", organizationId: "ACME@AdobeOrg" })
 *   .xtActivity({ id: 7, name: "Sale banner", mbox: "banner", experiences: [
 *     { name: "Sale", audience: urlContains("/sale"), html: "<b>Sale!</b>" },
 *     { name: "Default", html: "<b>Welcome</b>" } ] })
 *   .build();
 * ```
 * @packageDocumentation
 */
export { anArtifact, ArtifactBuilder, DEFAULT_RESPONSE_TOKENS } from "./builder";
export {
  and,
  browserIs,
  custom,
  dayOfWeek,
  defineAudience,
  domainIs,
  geoCityIs,
  geoCountryIs,
  geoRegionIs,
  not,
  or,
  paramContains,
  paramEquals,
  pathEquals,
  pathStartsWith,
  platformIs,
  queryContains,
  timeFrame,
  timeOfDay,
  urlContains,
  urlEquals,
} from "./audiences";
export type { Audience, BrowserType, DayName, Instant } from "./audiences";
export { allocationRanges } from "./emit";
export { vec } from "./vec";
export type { JsonValue } from "./json";
export type {
  AbActivitySpec,
  AbExperienceSpec,
  ActivityBase,
  ArtifactBuilderOptions,
  ExperienceContent,
  ExperienceSpec,
  MetricSpec,
  PageLoadActivitySpec,
  VecAction,
  ViewActivitySpec,
  XtActivitySpec,
} from "./types";
export type { Artifact, ArtifactRule } from "../artifact/schema";
