import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { urlParts } from "../../src/platform/url-parts";

const viaUrl = (url: string) => {
  const u = new URL(url);
  return { origin: u.origin, path: u.pathname + u.search, pathname: u.pathname };
};

/** URL-ish text: pieces our URLs have and pieces URL rewrites (case, ports, dots, escapes, IPv4 forms). */
const piece = fc.constantFrom(
  "a", "Z", "0", "9", "-", ".", "..", "/", "//", "?", "&", "=", "%", "%2e", "%2E", "%41", "'", "\"", " ",
  "`", "{", "|", "\\", "^", "#", ":", "@", "~", "_", "!", "*", "(", "é", "\t",
);
const text = fc.array(piece, { maxLength: 12 }).map((p) => p.join(""));
const host = fc.oneof(
  fc.constantFrom(
    "mboxedge35.tt.omtrdc.net", "127.0.0.1", "localhost", "EXAMPLE.com", "0x7f.0.0.1", "2130706433",
    "127.1", "256.0.0.1", "01.2.3.4", "a.b.", "xn--bcher-kva.example", "a_b.example", "1.2.3.4.5",
  ),
  text,
);
const port = fc.constantFrom("", ":80", ":443", ":8080", ":0", ":080", ":65535", ":65536", ":99999");
const url = fc
  .tuple(fc.constantFrom("http", "https", "HTTP", "ftp"), host, port, text, fc.constantFrom("", "?", "?client=demo&sessionId=s-1"), text)
  .map(([scheme, h, p, path, query, more]) => `${scheme}://${h}${p}/${path}${query}${more}`);

describe("urlParts", () => {
  it("gives what URL gives, or throws as URL does", () => {
    fc.assert(
      fc.property(url, (u) => {
        let expected: ReturnType<typeof viaUrl> | "throws";
        try {
          expected = viaUrl(u);
        } catch {
          expected = "throws";
        }
        if (expected === "throws") expect(() => urlParts(u)).toThrow();
        else expect(urlParts(u)).toEqual(expected);
      }),
      { numRuns: 20_000 },
    );
  });

  it("splits the service's own Delivery URLs", () => {
    expect(urlParts("https://mboxedge35.tt.omtrdc.net/rest/v1/delivery?client=demo&sessionId=a-1&version=2.4.3")).toEqual({
      origin: "https://mboxedge35.tt.omtrdc.net",
      path: "/rest/v1/delivery?client=demo&sessionId=a-1&version=2.4.3",
      pathname: "/rest/v1/delivery",
    });
    expect(urlParts("http://127.0.0.1:8080/rest/v1/delivery?")).toEqual({
      origin: "http://127.0.0.1:8080",
      path: "/rest/v1/delivery",
      pathname: "/rest/v1/delivery",
    });
  });
});
