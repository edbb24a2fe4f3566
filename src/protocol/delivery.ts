/** Delivery API request/response types (the subset the engine reads and writes). */

export interface Address {
  url?: string;
  referringUrl?: string;
}

export interface Geo {
  ipAddress?: string;
  latitude?: number;
  longitude?: number;
  countryCode?: string;
  stateCode?: string;
  city?: string;
  zip?: string;
  [key: string]: unknown;
}

export interface ClientHints {
  mobile?: boolean;
  model?: string;
  platform?: string;
  platformVersion?: string;
  browserUAWithMajorVersion?: string;
  browserUAWithFullVersion?: string;
  architecture?: string;
  bitness?: string;
}

export interface Context {
  channel?: string;
  address?: Address;
  userAgent?: string;
  clientHints?: ClientHints;
  geo?: Geo;
  timeOffsetInMinutes?: number;
  beacon?: boolean;
  [key: string]: unknown;
}

export interface CustomerId {
  id?: string;
  integrationCode?: string;
  authenticatedState?: "unknown" | "authenticated" | "logged_out" | string;
  [key: string]: unknown;
}

export interface VisitorId {
  tntId?: string;
  thirdPartyId?: string;
  marketingCloudVisitorId?: string;
  customerIds?: CustomerId[];
  [key: string]: unknown;
}

export interface RequestDetails {
  address?: Address;
  parameters?: Record<string, unknown>;
  profileParameters?: Record<string, unknown>;
  order?: Record<string, unknown>;
  product?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface MboxRequest extends RequestDetails {
  name?: string;
  index?: number;
}

export interface ViewRequest extends RequestDetails {
  name?: string;
  key?: string;
}

export interface ExecuteRequest {
  pageLoad?: RequestDetails;
  mboxes?: MboxRequest[];
}

export interface PrefetchRequest {
  pageLoad?: RequestDetails;
  views?: ViewRequest[];
  mboxes?: MboxRequest[];
}

export interface Notification extends RequestDetails {
  id?: string;
  impressionId?: string;
  type?: "display" | "click" | string;
  timestamp?: number;
  tokens?: string[];
  mbox?: { name?: string; state?: string };
  view?: { name?: string; key?: string; state?: string };
  pageLoad?: { state?: string };
}

export interface TelemetryEntry {
  requestId?: string;
  timestamp?: number;
  execution?: number;
  parsing?: number;
  mode?: string;
  features?: Record<string, unknown>;
  request?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface DeliveryRequest {
  requestId?: string;
  environmentId?: number;
  id?: VisitorId;
  property?: { token?: string };
  trace?: Record<string, unknown>;
  context?: Context;
  experienceCloud?: Record<string, unknown>;
  execute?: ExecuteRequest;
  prefetch?: PrefetchRequest;
  notifications?: Notification[];
  telemetry?: { entries?: TelemetryEntry[] };
  qaMode?: Record<string, unknown>;
  preview?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ResponseOption {
  type?: string;
  content?: unknown;
  eventToken?: string;
  responseTokens?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ResponseMetric {
  type?: string;
  eventToken?: string;
  selector?: string;
  [key: string]: unknown;
}

export interface MboxResponse {
  index?: number;
  name?: string;
  options?: ResponseOption[];
  metrics?: ResponseMetric[];
  analytics?: Record<string, unknown>;
  trace?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ViewResponse extends MboxResponse {
  key?: string;
  state?: string;
}

export interface PageLoadResponse {
  options?: ResponseOption[];
  metrics?: ResponseMetric[];
  analytics?: Record<string, unknown>;
  trace?: Record<string, unknown>;
  state?: string;
  [key: string]: unknown;
}

export interface DeliveryResponse {
  status?: number;
  requestId?: string;
  client?: string;
  id?: VisitorId;
  edgeHost?: string;
  execute?: { pageLoad?: PageLoadResponse; mboxes?: MboxResponse[] };
  prefetch?: { pageLoad?: PageLoadResponse; views?: ViewResponse[]; mboxes?: MboxResponse[] };
  notifications?: unknown[];
  telemetryServerToken?: string;
  [key: string]: unknown;
}
