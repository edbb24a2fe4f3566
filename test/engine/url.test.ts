import { describe, expect, it } from "vitest";
import { domainParts, parseUrlContext, splitUrl } from "../../src/engine/url";

/** [url, path, query, fragment, subdomain, domain, topLevelDomain]; all checked against the reference SDK when written. */
const CASES: ReadonlyArray<readonly [string, string, string, string, string, string, string]> = [
  // shapes of URLs
  ["http://adobe.com", "", "", "", "", "adobe.com", "com"],
  ["https://www.adobe.com:8443/a/b.html?x=1#top", "/a/b.html", "x=1", "top", "", "adobe.com", "com"],
  ["http://user:pass@shop.adobe.com:80/p", "/p", "", "", "shop", "adobe.com", "com"],
  ["http://user@shop.adobe.com/p", "/p", "", "", "shop", "adobe.com", "com"],
  ["https://adobe.com?q=1", "", "q=1", "", "", "adobe.com", "com"],
  ["https://adobe.com#frag", "", "", "frag", "", "adobe.com", "com"],
  ["#only", "", "", "only", "", "", ""],
  ["?only=1", "", "only=1", "", "", "", ""],
  ["/relative/path?x", "/relative/path", "x", "", "", "", ""],
  ["https://adobe.com/a?b?c#d#e", "/a", "b?c", "d#e", "", "adobe.com", "com"],
  // IP and IPv6 hosts (loose parsing cuts an IPv6 literal at its first colon, as the reference does)
  ["http://127.0.0.1:3000/x?y#z", "/x", "y", "z", "", "127.0.0.1", ""],
  ["http://[::1]:8080/path", ":1]:8080", "", "", "", "[", ""],
  ["http://[2001:db8::1]/", "db8::1]", "", "", "", "[2001", ""],
  // case: domain parts are lower-cased by the public-suffix parser, the rest is kept
  ["HTTP://WWW.Example.COM/Path?Q=A#F", "/Path", "Q=A", "F", "", "example.com", "com"],
  // multi-label and private public suffixes
  ["https://a.b.town.ide.kyoto.jp/", "/", "", "", "a.b", "town.ide.kyoto.jp", "ide.kyoto.jp"],
  [
    "https://foo.us-east-1.elasticbeanstalk.com/",
    "/",
    "",
    "",
    "",
    "foo.us-east-1.elasticbeanstalk.com",
    "us-east-1.elasticbeanstalk.com",
  ],
  ["https://sub.example.co.uk/", "/", "", "", "sub", "example.co.uk", "co.uk"],
  ["http://foo.github.io/bar", "/bar", "", "", "", "foo.github.io", "github.io"],
  ["http://github.io/", "/", "", "", "", "github.io", ""],
  // the www quirk: any subdomain starting with "www" loses 4 chars
  ["https://www.example.com/", "/", "", "", "", "example.com", "com"],
  ["https://www.a.example.com/", "/", "", "", "a", "example.com", "com"],
  ["https://www2.shop.example.com/", "/", "", "", ".shop", "example.com", "com"],
  ["https://wwwfoo.example.com/", "/", "", "", "oo", "example.com", "com"],
  // hosts that are not registrable names keep their case and get no parts
  ["http://my_host.example.com/", "/", "", "", "", "my_host.example.com", ""],
  ["http://printer.local/", "/", "", "", "", "printer.local", ""],
  ["http://localhost:8080/x", "/x", "", "", "", "localhost", ""],
  ["http://Local-Target-Test:8080/", "/", "", "", "", "Local-Target-Test", ""],
  ["http://-bad-.com/", "/", "", "", "", "-bad-.com", ""],
  ["http://a..b.com/", "/", "", "", "", "a..b.com", ""],
  ["not a url at all", "", "", "", "", "not a url at all", ""],
  ["http://example.com./x", "/x", "", "", "", "example.com", "com"],
  ["http://bücher.de/", "/", "", "", "", "bücher.de", "de"],
  ["http://xn--bcher-kva.de/", "/", "", "", "", "xn--bcher-kva.de", "de"],
  // loose-mode oddities kept on purpose
  ["localhost:8080/x", "/x", "", "", "", "8080", ""],
  ["adobe.com/x/y", "/x/y", "", "", "", "adobe.com", "com"],
  ["http://a.com/x@y.com/z", "/z", "", "", "", "y.com", "com"],
  ["http://host:abc/def", "abc", "", "", "", "host", ""],
  ["mailto:someone@example.com", "", "", "", "", "example.com", "com"],
  ["http://ex.com/a#b\nc", "/a", "", "b", "", "ex.com", "com"],
];

describe("parseUrlContext", () => {
  for (const [url, path, query, fragment, subdomain, domain, topLevelDomain] of CASES) {
    it(`parses ${JSON.stringify(url)}`, () => {
      expect(parseUrlContext(url)).toEqual({
        url,
        path,
        query,
        fragment,
        subdomain,
        domain,
        topLevelDomain,
        url_lc: url.toLowerCase(),
        path_lc: path.toLowerCase(),
        query_lc: query.toLowerCase(),
        fragment_lc: fragment.toLowerCase(),
        subdomain_lc: subdomain.toLowerCase(),
        domain_lc: domain.toLowerCase(),
        topLevelDomain_lc: topLevelDomain.toLowerCase(),
      });
    });
  }

  it("orders keys as the reference: the seven parts, then their _lc copies", () => {
    expect(Object.keys(parseUrlContext("https://a.example.com/"))).toEqual([
      "url",
      "path",
      "query",
      "fragment",
      "subdomain",
      "domain",
      "topLevelDomain",
      "url_lc",
      "path_lc",
      "query_lc",
      "fragment_lc",
      "subdomain_lc",
      "domain_lc",
      "topLevelDomain_lc",
    ]);
  });

  it("treats missing and non-string URLs as empty", () => {
    const empty = parseUrlContext("");
    expect(Object.values(empty).every((v) => v === "")).toBe(true);
    for (const value of [undefined, null, 42, {}, ["http://a.com"]])
      expect(parseUrlContext(value)).toEqual(empty);
  });

  it("returns frozen, shared results for repeated URLs", () => {
    const url = "https://shared.example.com/x";
    const first = parseUrlContext(url);
    expect(Object.isFrozen(first)).toBe(true);
    expect(parseUrlContext(url)).toBe(first);
  });

  it("parses URLs beyond the cacheable length the same way", () => {
    const url = `https://www.example.com/${"a".repeat(5000)}?q=1`;
    const context = parseUrlContext(url);
    expect(context.path).toHaveLength(5001);
    expect(context.query).toBe("q=1");
    expect(context.domain).toBe("example.com");
  });

  it("stays linear on long pathological paths", () => {
    const url = `http://a.com/${"x.".repeat(200_000)}y`;
    const start = performance.now();
    expect(parseUrlContext(url).path).toHaveLength(400_002);
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe("splitUrl", () => {
  it("skips user-info, including user-info with a password", () => {
    expect(splitUrl("https://u:p@h.com:1/a").host).toBe("h.com");
    expect(splitUrl("u@h.com/a").host).toBe("h.com");
  });

  it("takes a scheme only when the text does not look like user:password@", () => {
    expect(splitUrl("user:pw@h.com/p")).toEqual({ host: "h.com", path: "/p", query: "", fragment: "" });
    expect(splitUrl("x.y:80/p")).toEqual({ host: "x.y", path: "/p", query: "", fragment: "" });
  });

  it("ends the fragment at a line terminator", () => {
    expect(splitUrl("http://a.com/#x\u2028y").fragment).toBe("x");
    expect(splitUrl("http://a.com/#x\ry").fragment).toBe("x");
  });
});

describe("domainParts", () => {
  it("returns frozen parts, cached per host", () => {
    const parts = domainParts("www.cache-test.example.org");
    expect(parts).toEqual({ subdomain: "cache-test", domain: "example.org", topLevelDomain: "org" });
    expect(Object.isFrozen(parts)).toBe(true);
    expect(domainParts("www.cache-test.example.org")).toBe(parts);
  });

  it("keeps the case of hosts that are not registrable", () => {
    expect(domainParts("")).toEqual({ subdomain: "", domain: "", topLevelDomain: "" });
    expect(domainParts("MyHost")).toEqual({ subdomain: "", domain: "MyHost", topLevelDomain: "" });
    expect(domainParts("10.0.0.1")).toEqual({ subdomain: "", domain: "10.0.0.1", topLevelDomain: "" });
  });

  it("handles very long hosts without caching them", () => {
    const host = `${"a".repeat(300)}.com`;
    expect(domainParts(host)).toEqual({ subdomain: "", domain: host, topLevelDomain: "" });
  });
});
