import { describe, expect, it } from "vitest";
import { parseUserAgent } from "../../src/engine/user-agent";

/**
 * Expected values follow Target's rules (docs/target-behaviour.md#rule-context) and were checked against the reference SDK
 * when written; test/engine/context.test.ts keeps comparing random user agents with the reference.
 */
// prettier-ignore
const USER_AGENT_TABLE: ReadonlyArray<
  readonly [label: string, userAgent: string, browserType: string, version: number, platform: string]
> = [
  ["chrome windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "chrome", 120, "windows"],
  ["chrome mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "chrome", 120, "mac"],
  ["chrome linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36", "chrome", 120, "linux"],
  ["chrome android", "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36", "chrome", 119, "Android"],
  ["android without version", "Mozilla/5.0 (Linux; Android; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36", "chrome", 119, "unknown"],
  ["chrome os", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36", "chrome", 119, "Unix"],
  ["edge chromium", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91", "edge", 120, "windows"],
  ["edge legacy", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582", "edge", 18, "windows"],
  ["edge ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/119.2151.65 Mobile/15E148 Safari/605.1.15", "edge", 119, "iOS"],
  ["edge android", "Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36 EdgA/119.0.2151.78", "edge", 119, "Android"],
  ["edge without digits", "Mozilla/5.0 (Windows NT 10.0) Edg/x.1", "edge", -1, "windows"],
  ["firefox windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "firefox", 121, "windows"],
  ["firefox mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:73.0) Gecko/20100101 Firefox/73.0", "firefox", 73, "mac"],
  ["firefox linux", "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0", "firefox", 115, "linux"],
  ["firefox ubuntu", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0", "firefox", 115, "linux"],
  ["firefox freebsd", "Mozilla/5.0 (X11; FreeBSD amd64; rv:109.0) Gecko/20100101 Firefox/115.0", "firefox", 115, "Unix"],
  ["firefox android", "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0", "firefox", 121, "Android"],
  ["firefox not at the end", "Mozilla/5.0 (Windows NT 10.0; rv:91.0) Gecko/20100101 Firefox/91.0 SomeApp/1.0", "unknown", -1, "windows"],
  ["firefox negative version", "Mozilla/5.0 (Windows NT 10.0) Firefox/-5", "firefox", -1, "windows"],
  ["firefox ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/120.0 Mobile/15E148 Safari/605.1.15", "unknown", -1, "iOS"],
  ["safari mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "safari", 17, "mac"],
  ["mobile safari iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "mobile safari", 17, "iOS"],
  ["mobile safari ipad", "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", "mobile safari", 16, "iOS"],
  ["old android browser", "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30", "safari", 4, "Android"],
  ["chrome ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1", "unknown", -1, "iOS"],
  ["facebook in-app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/441.0.0.33.113]", "unknown", -1, "iOS"],
  ["ie 9", "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)", "ie", 9, "windows"],
  ["ie 10", "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)", "ie", 10, "windows"],
  ["ie 11", "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko", "ie", 11, "windows"],
  ["ie mobile", "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)", "ie", 10, "windows"],
  ["opera chromium", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0", "chrome", 120, "windows"],
  ["opera presto", "Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.229 Version/11.62", "unknown", -1, "windows"],
  ["samsung internet", "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36", "chrome", 115, "Android"],
  ["silk", "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.5.1 like Chrome/120.0.6099.230 Safari/537.36", "chrome", 120, "Android"],
  ["googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "unknown", -1, "unknown"],
  ["googlebot smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "chrome", 120, "Android"],
  ["bingbot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "unknown", -1, "unknown"],
  ["curl", "curl/8.4.0", "unknown", -1, "unknown"],
  ["empty", "", "unknown", -1, "unknown"],
  ["garbage", "!!! ??? ///", "unknown", -1, "unknown"],
  ["lower-case tokens", "mozilla/5.0 (windows nt 10.0) chrome/99.0", "chrome", 99, "unknown"],
  ["chrome v-prefixed version", "Mozilla/5.0 (Windows NT 10.0) Chrome/v88.1", "chrome", 88, "windows"],
  ["chrome non-numeric version", "Mozilla/5.0 (Windows NT 10.0) Chrome/abc", "chrome", -1, "windows"],
];

describe("parseUserAgent", () => {
  for (const [label, userAgent, browserType, browserVersion, platform] of USER_AGENT_TABLE) {
    it(`recognises ${label}`, () => {
      expect(parseUserAgent(userAgent)).toEqual({ browserType, browserVersion, platform });
    });
  }

  it("treats missing and non-string user agents as empty", () => {
    const unknown = { browserType: "unknown", browserVersion: -1, platform: "unknown" };
    for (const value of [undefined, null, 42, {}, ["Chrome/1"]])
      expect(parseUserAgent(value)).toEqual(unknown);
  });

  it("never leaks ua-parser-js' own detection (its defaults know Opera, Samsung, bots …)", () => {
    expect(parseUserAgent("Opera/9.80 (X11; Linux i686) Presto/2.12.388 Version/12.16").browserType).toBe(
      "unknown",
    );
    expect(parseUserAgent("Mozilla/5.0 (PlayStation 4 3.11) AppleWebKit/537.73 (KHTML, like Gecko)")).toEqual(
      {
        browserType: "unknown",
        browserVersion: -1,
        platform: "unknown",
      },
    );
  });

  it("matches the whole of user agents longer than ua-parser-js' 500-char limit", () => {
    const padding = "x".repeat(1500);
    expect(parseUserAgent(`Mozilla/5.0 (Windows NT 10.0) ${padding} Firefox/73.0`)).toEqual({
      browserType: "firefox",
      browserVersion: 73,
      platform: "windows",
    });
    // Leading white space is significant for the platform rules (ua-parser-js would trim it).
    expect(parseUserAgent(` Windows ${padding}`).platform).toBe("windows");
  });

  it("cuts user agents to 2,000 chars before matching", () => {
    const head = "Mozilla/5.0 (Windows NT 10.0) ";
    const at = (length: number) =>
      `${head}${"x".repeat(length - head.length - " Firefox/73.0".length)} Firefox/73.0`;
    expect(parseUserAgent(at(2000)).browserType).toBe("firefox");
    // Cut after " Fire": the reference (whole string) would say firefox.
    expect(parseUserAgent(at(2008)).browserType).toBe("unknown");
  });

  it("returns equal results for repeated (cached) user agents", () => {
    const ua = USER_AGENT_TABLE[0]![1];
    const first = parseUserAgent(ua);
    first.browserType = "mutated";
    expect(parseUserAgent(ua)).toEqual({ browserType: "chrome", browserVersion: 120, platform: "windows" });
  });
});

describe("parseUserAgent with client hints", () => {
  const firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:90.0) Gecko/20100101 Firefox/90.0";

  it("overrides browser and version from the full-version brand list", () => {
    const hints = {
      browserUAWithFullVersion:
        '" Not A;Brand";v="99.0.0.0", "Chromium";v="99.0.4844.83", "Google Chrome";v="99.0.4844.83"',
    };
    expect(parseUserAgent(firefoxLinux, hints)).toEqual({
      browserType: "chrome",
      browserVersion: 99,
      platform: "linux",
    });
  });

  it("falls back to the major-version list when the full one is missing or empty", () => {
    const major = '"Microsoft Edge";v="120", "Chromium";v="120"';
    expect(parseUserAgent(firefoxLinux, { browserUAWithMajorVersion: major }).browserType).toBe("edge");
    expect(
      parseUserAgent(firefoxLinux, { browserUAWithFullVersion: "", browserUAWithMajorVersion: major })
        .browserVersion,
    ).toBe(120);
  });

  it('keeps the user-agent result when no brand matches ("Chromium" is not "Chrome")', () => {
    const hints = { browserUAWithMajorVersion: '"Chromium";v="118", "Not=A?Brand";v="99"' };
    expect(parseUserAgent(firefoxLinux, hints)).toEqual({
      browserType: "firefox",
      browserVersion: 90,
      platform: "linux",
    });
  });

  it("takes the first brand rule that matches, in the order Chrome, Edge, Safari, Firefox", () => {
    const hints = {
      browserUAWithMajorVersion: '"Firefox";v="97", "Safari";v="15", "Edge";v="100", "Chrome";v="99"',
    };
    expect(parseUserAgent("", hints)).toEqual({
      browserType: "chrome",
      browserVersion: 99,
      platform: "unknown",
    });
  });

  it("uses clientHints.platform verbatim when defined, then maps the known names", () => {
    const cases: Array<[string, string]> = [
      ["Windows", "windows"],
      ["macOS", "mac"],
      ["Mac OS", "mac"],
      ["Macintosh", "mac"],
      ["Linux", "linux"],
      ["Chrome OS", "Chrome OS"],
      ["Android", "Android"],
      ["", ""],
      // The reference looks the name up through the prototype chain and yields a function here.
      ["constructor", "constructor"],
    ];
    for (const [platform, expected] of cases)
      expect(parseUserAgent(firefoxLinux, { platform }).platform).toBe(expected);
  });

  it("ignores malformed hints", () => {
    const expected = { browserType: "firefox", browserVersion: 90, platform: "linux" };
    expect(parseUserAgent(firefoxLinux, null as never)).toEqual(expected);
    expect(parseUserAgent(firefoxLinux, { browserUAWithFullVersion: 5, platform: 7 } as never)).toEqual(
      expected,
    );
    expect(parseUserAgent(firefoxLinux, { browserUAWithMajorVersion: '"Chrome";v="x"' })).toEqual(expected);
  });
});
