/**
 * Repository errors: a DecisioningError carrying its HTTP status, rendered as an RFC 9457
 * `application/problem+json` body `{type, title, status, detail, code, report?, referencedBy?}`.
 */
import { DecisioningError, type ErrorCode } from "../errors";

export interface ReportEntry {
  path: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  report?: ReportEntry[];
  referencedBy?: unknown[];
  requestId?: string;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  406: "Not Acceptable",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  500: "Internal Server Error",
};

export function repoError(
  code: ErrorCode,
  status: number,
  message: string,
  details?: { report?: ReportEntry[]; referencedBy?: unknown[] },
): DecisioningError {
  return new DecisioningError(code, message, { status, ...(details ? { details } : {}) });
}

export const badQuery = (message: string) => repoError("ODE_ERR_REPO_INVALID_QUERY", 400, message);
export const notFound = (message: string) => repoError("ODE_ERR_REPO_NOT_FOUND", 404, message);
export const ruleViolation = (message: string, report?: ReportEntry[]) =>
  repoError("ODE_ERR_REPO_RULE_VIOLATION", 422, message, report ? { report } : undefined);

/** The problem body for an error that carries an HTTP status (4xx); anything else is a 500. */
export function toProblem(err: DecisioningError, requestId: string | undefined): ProblemBody {
  const status = err.status !== undefined && err.status >= 400 && err.status < 600 ? err.status : 500;
  const internal = status >= 500;
  const details = err.details ?? {};
  return {
    type: `urn:odd:problem:${err.code.replace(/^ODE_ERR_(REPO_)?/, "").toLowerCase().replace(/_/g, "-")}`,
    title: TITLES[status] ?? "Error",
    status,
    detail: internal ? "Internal server error" : err.message,
    code: internal ? "ODE_ERR_INTERNAL" : err.code,
    ...(Array.isArray(details.report) ? { report: details.report as ReportEntry[] } : {}),
    ...(Array.isArray(details.referencedBy) ? { referencedBy: details.referencedBy as unknown[] } : {}),
    ...(requestId ? { requestId } : {}),
  };
}
