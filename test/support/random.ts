/** A small seeded PRNG (mulberry32) and helpers, so every random test reproduces from its seed. */
export function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("");
  return { next, int, pick, chance, hex };
}
export type Random = ReturnType<typeof createRandom>;

export const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:73.0) Gecko/20100101 Firefox/73.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
  "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)",
  "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
  "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
  "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
  "Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.229 Version/11.62",
  "curl/8.4.0",
  "",
];

export const URLS = [
  "http://local-target-test:8080/",
  "https://www.adobe.com/products/target.html?foo=bar&x=1#hero",
  "https://shop.example.co.uk/cart?item=42",
  "http://pied.piper.decentralized.test.hooli.com/?Query=Bar",
  "https://wayne-enterprises.us-east-1.elasticbeanstalk.com/bat/cave",
  "https://www2.shop.example.com/sale",
  "http://127.0.0.1:3000/path",
  "https://target.example.org/search?q=Adobe+Target&lang=en",
  "not a url at all",
  "",
];

export const WORDS = ["foo", "bar", "Baz", "jason", "greg", "red", "Blue", "1", "7", "true", "Ruby", "python"];
