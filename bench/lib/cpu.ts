// CPU time of processes, from Linux's /proc: what a system under test spent, whatever else the machine was doing.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on Linux nearly everywhere). */
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Milliseconds of CPU (user + system, all threads) process `pid` has used so far. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  // After the name: state(0) ppid(1) … utime(11) stime(12), in clock ticks.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
}

/** The pids of `parent`'s descendants whose command name is `name` (e.g. the workerd Miniflare spawned). */
export function descendantsNamed(parent: number, name: string): number[] {
  const children = new Map<number, { ppid: number; name: string }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      children.set(Number(entry), { ppid: Number(statFields(Number(entry))[1]), name: comm });
    } catch {
      // Gone meanwhile.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = children.get(pid)?.ppid; p !== undefined && p > 1; p = children.get(p)?.ppid) {
      if (p === parent) return true;
    }
    return false;
  };
  return [...children.entries()].filter(([pid, c]) => c.name === name && descends(pid)).map(([pid]) => pid);
}
