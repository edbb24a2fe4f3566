/**
 * `like` patterns: `%` matches any run of characters, `_` exactly one, everything else itself;
 * the whole string must match, case-sensitively. Matched with the greedy two-pointer wildcard
 * algorithm (at most |s|·|p| steps, no backtracking blow-up), not through a regular expression.
 */
export function likeMatcher(pattern: string): (s: string) => boolean {
  const p = Array.from(pattern);
  return (text) => {
    const s = Array.from(text);
    let si = 0;
    let pi = 0;
    let star = -1;
    let mark = 0;
    while (si < s.length) {
      if (pi < p.length && (p[pi] === "_" || (p[pi] !== "%" && p[pi] === s[si]))) {
        si++;
        pi++;
      } else if (pi < p.length && p[pi] === "%") {
        star = pi++;
        mark = si;
      } else if (star >= 0) {
        pi = star + 1;
        si = ++mark;
      } else {
        return false;
      }
    }
    while (pi < p.length && p[pi] === "%") pi++;
    return pi === p.length;
  };
}
