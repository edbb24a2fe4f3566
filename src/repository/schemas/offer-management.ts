/**
 * The built-in schemas: the XCore container and the seven offer-management entity schemas. Each
 * JSON Schema validates an instance's `_instance` object. Unknown properties are kept (clients send
 * UI hints such as `offerui:*`). `meta:immutable` / `meta:usereditable` annotate properties whose
 * edits the repository restricts (docs/repository.md, "Property-edit annotations").
 */
import { CONTAINER_SCHEMA } from "../media";

export const OFFER_MANAGEMENT_NS = "https://ns.adobe.com/experience/offer-management";
export const schemaIdOf = (name: string) => `${OFFER_MANAGEMENT_NS}/${name}`;

export const PERSONALIZED_OFFER = schemaIdOf("personalized-offer");
export const FALLBACK_OFFER = schemaIdOf("fallback-offer");
export const OFFER_PLACEMENT = schemaIdOf("offer-placement");
export const ELIGIBILITY_RULE = schemaIdOf("eligibility-rule");
export const TAG = schemaIdOf("tag");
export const OFFER_FILTER = schemaIdOf("offer-filter");
export const OFFER_ACTIVITY = schemaIdOf("offer-activity");

const COMPONENT_TYPES = ["imagelink", "text", "html"].flatMap((t) => [
  `${OFFER_MANAGEMENT_NS}/content-component-${t}`,
  `https://ns.adobe.com/experience/decisioning/content-component-${t}`,
]);

const ID = { type: "string", minLength: 1, "meta:immutable": true, "meta:usereditable": false };
const NAME = { type: "string", minLength: 1 };
const DATE_TIME = { type: "string", format: "date-time" };
const STRINGS = { type: "array", items: { type: "string" } };
const STRING_MAP = { type: "object", additionalProperties: { type: "string" } };

const component = {
  type: "object",
  required: ["@type", "dc:format"],
  properties: {
    "@type": { enum: COMPONENT_TYPES },
    "dc:format": { type: "string", pattern: "^[A-Za-z0-9][\\w.!#$&^-]*/[A-Za-z0-9][\\w.!#$&^+-]*$" },
    "dc:language": STRINGS,
    "repo:id": { type: "string", "meta:immutable": true },
    "repo:name": { type: "string" },
    "repo:resolveURL": { type: "string", "meta:immutable": true },
    "xdm:linkURL": { type: "string" },
    "xdm:copyline": { type: "string" },
    "xdm:deliveryURL": { type: "string" },
  },
};

const representation = {
  type: "object",
  required: ["xdm:placement", "xdm:components"],
  properties: {
    "xdm:placement": { type: "string", minLength: 1 },
    "xdm:channel": { type: "string" },
    "xdm:components": { type: "array", minItems: 1, items: component },
  },
};

const offerProperties = {
  "@id": ID,
  "xdm:name": NAME,
  "xdm:status": { enum: ["draft", "pending", "rejected", "approved", "archived"] },
  "xdm:tags": STRINGS,
  "xdm:representations": { type: "array", items: representation },
  "xdm:characteristics": STRING_MAP,
  "xdm:customMetadata": STRING_MAP,
};

const positiveInteger = { type: "integer", minimum: 1 };

const personalizedOffer = {
  $id: PERSONALIZED_OFFER,
  type: "object",
  required: ["xdm:name", "xdm:status", "xdm:rank"],
  properties: {
    ...offerProperties,
    "xdm:rank": {
      type: "object",
      required: ["xdm:priority"],
      properties: { "xdm:priority": { type: "integer", minimum: 0 } },
    },
    "xdm:selectionConstraint": {
      type: "object",
      properties: { "xdm:startDate": DATE_TIME, "xdm:endDate": DATE_TIME, "xdm:eligibilityRule": { type: "string" } },
    },
    "xdm:cappingConstraint": {
      type: "object",
      properties: {
        "xdm:globalCap": positiveInteger,
        "xdm:profileCap": positiveInteger,
        "xdm:volume": positiveInteger,
        "xdm:frequency": positiveInteger,
      },
    },
  },
};

const fallbackOffer = {
  $id: FALLBACK_OFFER,
  type: "object",
  required: ["xdm:name", "xdm:status"],
  properties: {
    ...offerProperties,
    // A fallback offer carries no constraints at all.
    "xdm:rank": false,
    "xdm:selectionConstraint": false,
    "xdm:cappingConstraint": false,
  },
};

const placement = {
  $id: OFFER_PLACEMENT,
  type: "object",
  required: ["xdm:name"],
  properties: {
    "@id": ID,
    "xdm:name": NAME,
    "xdm:description": { type: "string" },
    "xdm:channel": { type: "string" },
    "xdm:componentType": { enum: COMPONENT_TYPES },
    "xdm:contentTypes": STRINGS,
  },
};

const eligibilityRule = {
  $id: ELIGIBILITY_RULE,
  type: "object",
  required: ["xdm:name", "xdm:condition"],
  properties: {
    "@id": ID,
    "xdm:name": NAME,
    description: { type: "string" },
    "xdm:condition": {
      type: "object",
      required: ["xdm:value"],
      properties: {
        "xdm:type": { type: "string" },
        "xdm:format": { type: "string" },
        "xdm:value": { type: ["string", "object"] },
      },
    },
    "xdm:definedOn": { type: "object" },
  },
};

const tag = {
  $id: TAG,
  type: "object",
  required: ["xdm:name"],
  properties: { "@id": ID, "xdm:name": NAME },
};

const offerFilter = {
  $id: OFFER_FILTER,
  type: "object",
  required: ["xdm:name", "xdm:filterType", "ids"],
  properties: {
    "@id": ID,
    "xdm:name": NAME,
    "xdm:filterType": { enum: ["offers", "anyTags", "allTags"] },
    ids: STRINGS,
  },
};

const criterion = {
  type: "object",
  required: ["xdm:placements", "xdm:optionSelection"],
  properties: {
    "xdm:placements": { type: "array", minItems: 1, items: { type: "string" } },
    "xdm:optionSelection": {
      type: "object",
      required: ["xdm:filter"],
      properties: { "xdm:filter": { type: "string" }, "xdm:eligibilityRule": { type: "string" } },
    },
  },
};

const offerActivity = {
  $id: OFFER_ACTIVITY,
  type: "object",
  required: ["xdm:name", "xdm:fallback"],
  // The simple form names one placement and one filter; the criteria form lists criteria.
  anyOf: [{ required: ["xdm:placement", "xdm:filter"] }, { required: ["xdm:criteria"] }],
  properties: {
    "@id": ID,
    "xdm:name": NAME,
    "xdm:status": { enum: ["draft", "live", "complete", "archived"] },
    "xdm:startDate": DATE_TIME,
    "xdm:endDate": DATE_TIME,
    "xdm:placement": { type: "string", minLength: 1 },
    "xdm:filter": { type: "string", minLength: 1 },
    "xdm:fallback": { type: "string", minLength: 1 },
    "xdm:criteria": { type: "array", minItems: 1, items: criterion },
  },
};

const container = {
  $id: CONTAINER_SCHEMA,
  type: "object",
  properties: { "repo:name": { type: "string" }, parentName: { type: "string" } },
};

/** The schemas every repository registers at start. */
export const BUILT_IN_SCHEMAS: readonly Record<string, unknown>[] = [
  container,
  personalizedOffer,
  fallbackOffer,
  placement,
  eligibilityRule,
  tag,
  offerFilter,
  offerActivity,
];
