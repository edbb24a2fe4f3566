/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time per function and self
 * time per file, so a regression can be pinned to a function without opening DevTools.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  name: string;
  file: string;
  line: number;
  selfMs: number;
  totalMs: number;
  selfPct: number;
  totalPct: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: FunctionTime[];
  files: { file: string; selfMs: number; selfPct: number }[];
}

const IDLE = new Set(["(idle)", "(program)", "(root)"]);

function shortFile(url: string, root: string): string {
  if (!url) return "(native)";
  const p = url.startsWith("file://") ? url.slice(7) : url;
  const nm = p.lastIndexOf("node_modules/");
  if (nm >= 0) return p.slice(nm + "node_modules/".length);
  return p.startsWith(root) ? path.relative(root, p) : p;
}

export function summarizeProfile(file: string, projectRoot: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const keyOf = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"}|${n.callFrame.url}|${n.callFrame.lineNumber}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const meta = new Map<string, CallFrame>();
  const fileSelf = new Map<string, number>();
  const top = profile.nodes[0]!;

  // Depth-first with the set of function keys on the stack (recursion counted once in totals).
  const inclusive = (node: ProfileNode, onStack: Set<string>): number => {
    const key = keyOf(node);
    meta.set(key, node.callFrame);
    const own = selfUs.get(node.id) ?? 0;
    self.set(key, (self.get(key) ?? 0) + own);
    const f = IDLE.has(node.callFrame.functionName)
      ? node.callFrame.functionName
      : shortFile(node.callFrame.url, projectRoot);
    fileSelf.set(f, (fileSelf.get(f) ?? 0) + own);
    const fresh = !onStack.has(key);
    if (fresh) onStack.add(key);
    let sum = own;
    for (const c of node.children ?? []) sum += inclusive(byId.get(c)!, onStack);
    if (fresh) {
      onStack.delete(key);
      total.set(key, (total.get(key) ?? 0) + sum);
    }
    return sum;
  };
  const totalUs = inclusive(top, new Set());
  const functions: FunctionTime[] = [...self.keys()]
    .filter((k) => !IDLE.has(meta.get(k)!.functionName))
    .map((k) => {
      const cf = meta.get(k)!;
      return {
        name: cf.functionName || "(anonymous)",
        file: shortFile(cf.url, projectRoot),
        line: cf.lineNumber + 1,
        selfMs: (self.get(k) ?? 0) / 1000,
        totalMs: (total.get(k) ?? 0) / 1000,
        selfPct: (100 * (self.get(k) ?? 0)) / totalUs,
        totalPct: (100 * (total.get(k) ?? 0)) / totalUs,
      };
    });
  const files = [...fileSelf.entries()]
    .map(([f, us]) => ({ file: f, selfMs: us / 1000, selfPct: (100 * us) / totalUs }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: totalUs / 1000, functions, files };
}

export function formatProfile(s: ProfileSummary, top = 25, filter?: (f: FunctionTime) => boolean): string {
  const fns = filter ? s.functions.filter(filter) : s.functions;
  const bySelf = [...fns].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  const byTotal = [...fns].sort((a, b) => b.totalMs - a.totalMs).slice(0, top);
  const row = (f: FunctionTime) =>
    `| ${f.selfPct.toFixed(1)}% | ${f.totalPct.toFixed(1)}% | \`${f.name}\` | ${f.line > 1 ? `${f.file}:${f.line}` : f.file} |`;
  const head = "| self | total | function | file |\n|---:|---:|---|---|";
  return [
    `Profile: ${s.totalMs.toFixed(0)} ms sampled`,
    "",
    "Top self time:",
    head,
    ...bySelf.map(row),
    "",
    "Top inclusive time:",
    head,
    ...byTotal.map(row),
    "",
    "Self time by file:",
    "| self | file |\n|---:|---|",
    ...s.files.slice(0, 15).map((f) => `| ${f.selfPct.toFixed(1)}% | ${f.file} |`),
  ].join("\n");
}
