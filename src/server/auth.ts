/**
 * The one bearer-token check of the service, shared by every protected API (repository, offers,
 * admin). With a token configured (`--api-token` / `ODD_API_TOKEN`), a protected request needs
 * `Authorization: Bearer <token>`; anything else fails with ODE_ERR_UNAUTHORIZED (401), formatted
 * by the plugin's own error handler. Tokens are compared as SHA-256 digests with
 * `crypto.timingSafeEqual`, so neither the content nor the length of the token leaks through timing.
 * The Delivery API stays open; a plugin opts in with `app.addHook("onRequest", requireBearerToken(t))`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";
import { DecisioningError } from "../errors";

export const API_TOKEN_ENV = "ODD_API_TOKEN";
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/** The bearer token of an Authorization header, or undefined. */
/** The token of an `Authorization: Bearer <token>` header, else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/** true when `presented` equals `expected`, in time independent of both values. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  return timingSafeEqual(digest(presented ?? ""), digest(expected)) && presented !== undefined;
}

/** An onRequest hook enforcing the token; a no-op when `token` is undefined (auth off). */
export function requireBearerToken(token: string | undefined) {
  return async function checkBearerToken(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (token === undefined) return;
    if (tokenMatches(bearerToken(request.headers.authorization), token)) return;
    reply.header("www-authenticate", 'Bearer realm="odd"');
    throw new DecisioningError("ODE_ERR_UNAUTHORIZED", "Missing or invalid bearer token (Authorization: Bearer <token>)", {
      status: 401,
    });
  };
}

/** An onRequest hook echoing a well-formed `x-request-id` (else the generated request id). */
export async function echoRequestId(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const sent = request.headers["x-request-id"];
  reply.header("x-request-id", typeof sent === "string" && REQUEST_ID.test(sent) ? sent : request.id);
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/**
 * Refuses to expose the write APIs without a token: binding a non-loopback host needs a token or
 * the explicit `--insecure-no-auth`. Throws ODE_ERR_INVALID_OPTION.
 */
export function assertSafeBinding(host: string, token: string | undefined, insecureNoAuth: boolean): void {
  if (token !== undefined || insecureNoAuth || isLoopbackHost(host)) return;
  throw new DecisioningError(
    "ODE_ERR_INVALID_OPTION",
    `Refusing to listen on ${host} without an API token: set --api-token / ${API_TOKEN_ENV}, bind 127.0.0.1, or pass --insecure-no-auth`,
    { details: { option: "api-token" } },
  );
}

/** The service-wide auth settings (`odd serve`): flags win over the environment. */
export const AUTH_SETTINGS = [
  { flag: "api-token", env: API_TOKEN_ENV, type: "string", help: "bearer token every protected API call must send (Delivery API stays open)" },
  {
    flag: "insecure-no-auth",
    env: "ODD_INSECURE_NO_AUTH",
    type: "boolean",
    help: "allow binding a non-loopback host without --api-token (anyone can write)",
  },
] as const;

export interface AuthConfig {
  apiToken: string | undefined;
  insecureNoAuth: boolean;
}

export function resolveAuthConfig(flags: Record<string, unknown>, env: Record<string, string | undefined>): AuthConfig {
  const flagToken = flags["api-token"];
  const token = typeof flagToken === "string" ? flagToken : env[API_TOKEN_ENV];
  if (token !== undefined && token !== "" && !/^[\x21-\x7e]{8,4096}$/.test(token)) {
    throw new DecisioningError("ODE_ERR_INVALID_OPTION", "api-token must be 8-4096 visible ASCII characters", {
      details: { option: "api-token" },
    });
  }
  const insecure = flags["insecure-no-auth"] === true || /^(1|true|yes)$/i.test(env.ODD_INSECURE_NO_AUTH ?? "");
  return { apiToken: token === undefined || token === "" ? undefined : token, insecureNoAuth: insecure };
}
