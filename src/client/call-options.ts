import type { DecisioningError } from "../errors";
import type { DeliveryRequest } from "../protocol/delivery";
import type { DecisioningMethod } from "./options";
import type { GetOffersResult } from "./result";

/** Options of getOffers (reference-compatible, plus the Python SDK's callbacks). */
export interface GetOffersOptions {
  request: DeliveryRequest;
  visitorCookie?: string;
  targetCookie?: string;
  targetLocationHint?: string;
  consumerId?: string;
  customerIds?: Record<string, { id?: string; authState?: number } | string>;
  sessionId?: string;
  decisioningMethod?: DecisioningMethod;
  callback?: (result: GetOffersResult) => void;
  errCallback?: (error: DecisioningError) => void;
  [key: string]: unknown;
}

export interface ReadyOptions {
  /** ms; rejects with ODE_ERR_READY_TIMEOUT when elapsed. Default: `maximumWaitReady`, else no limit. */
  timeout?: number;
}
