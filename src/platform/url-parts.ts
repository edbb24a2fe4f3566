/**
 * The origin, path and pathname of an absolute http(s) URL without a `URL` object: outbound calls
 * (a notification send per visitor) split their URL several times, and `new URL` was measurable on
 * that path. Only URLs already in canonical form take the string path (lower-case scheme and host
 * name or dotted-decimal IPv4, no user info, no default port, no dot segments, no character `URL`
 * would escape); anything else goes through `new URL`, so both give the same parts.
 */
export interface UrlParts {
  /** `https://host[:port]` */
  origin: string;
  /** The pathname and the query string (`/p?q=1`). */
  path: string;
  pathname: string;
}

const CANONICAL =
  /^(https?):\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::([1-9][0-9]{0,4}))?(\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*)(\?[A-Za-z0-9\-._~%!$&()*+,;=:@/?]*)?$/;
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
/** A segment `URL` would resolve or rewrite: `.`, `..`, or an encoded dot. */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)|%2e/i;

function canonicalHost(host: string): boolean {
  const last = host.slice(host.lastIndexOf(".") + 1);
  // A last label starting with a digit makes URL parse the host as IPv4 (and rewrite 0x7f.1 etc.).
  return !/^[0-9]/.test(last) || IPV4.test(host);
}

function canonicalPort(scheme: string, port: string | undefined): boolean {
  if (port === undefined) return true;
  const n = Number(port);
  return n <= 65535 && n !== (scheme === "https" ? 443 : 80);
}

export function urlParts(url: string): UrlParts {
  const m = CANONICAL.exec(url);
  if (m && canonicalHost(m[2]!) && canonicalPort(m[1]!, m[3]) && !DOT_SEGMENT.test(m[4]!)) {
    const pathname = m[4]!;
    const search = m[5] !== undefined && m[5].length > 1 ? m[5] : "";
    const origin = `${m[1]}://${m[2]}${m[3] !== undefined ? `:${m[3]}` : ""}`;
    return { origin, path: pathname + search, pathname };
  }
  const parsed = new URL(url);
  return { origin: parsed.origin, path: parsed.pathname + parsed.search, pathname: parsed.pathname };
}
