/**
 * Where the cores went during a phase of a benchmark: CPU seconds by process (from /proc, Linux only) and the
 * machine's idle share. A process that ended within the phase is counted through its parent's reaped-child
 * times (PostgreSQL's backends through the postmaster).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  processes: Map<number, { name: string; ticks: number }>;
  /** /proc/stat's first line: busy and idle ticks over all cores. */
  busy: number;
  idle: number;
}

function readProcess(pid: number): { name: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name is in parentheses and may hold spaces; the numbered fields follow its closing one.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat
      .slice(close + 2)
      .split(' ')
      .map(Number);
    // Fields 14-17 of proc(5) (utime, stime, cutime, cstime) are at 11-14 after the name.
    return { name, ticks: f[11]! + f[12]! + f[13]! + f[14]! };
  } catch {
    return undefined;
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const processes = new Map<number, { name: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const p = readProcess(pid);
    if (p) processes.set(pid, p);
  }
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are the cores doing nothing.
  const idle = ticks[3]! + ticks[4]!;
  const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  return { processes, busy, idle };
}

/**
 * CPU seconds spent between two snapshots, grouped by `group(pid, name)` (undefined: "other"), largest first,
 * with the share of the machine's capacity that stayed idle.
 */
export function cpuSpent(
  before: CpuSnapshot,
  after: CpuSnapshot,
  group: (pid: number, name: string) => string | undefined,
): { groups: { name: string; seconds: number }[]; idleShare: number } {
  const totals = new Map<string, number>();
  for (const [pid, p] of after.processes) {
    const ticks = p.ticks - (before.processes.get(pid)?.ticks ?? 0);
    if (ticks <= 0) continue;
    const name = group(pid, p.name) ?? 'other';
    totals.set(name, (totals.get(name) ?? 0) + ticks / TICKS_PER_SECOND);
  }
  const busy = after.busy - before.busy;
  const idle = after.idle - before.idle;
  return {
    groups: [...totals].map(([name, seconds]) => ({ name, seconds })).sort((a, b) => b.seconds - a.seconds),
    idleShare: idle / (busy + idle),
  };
}
