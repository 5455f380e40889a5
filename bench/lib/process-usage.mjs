// Memory and CPU time of another process (a Wharf the benchmark started), read from Linux's /proc.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const KiB_PER_MiB = 1024;
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), from field 3 on. */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The pid of this process's child whose command line contains `commandPart`. */
export function childPid(commandPart) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4: the parent's pid.
      if (Number(statFields(entry)[1]) !== process.pid) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (command.includes(commandPart)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  throw new Error(`no child process of ${process.pid} runs "${commandPart}"`);
}

/** VmRSS (now) and VmHWM (the peak since the process started) of `pid`, in MiB. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Math.round(Number(match[1]) / KiB_PER_MiB);
  };
  return { rssMiB: field('VmRSS'), peakMiB: field('VmHWM') };
}

/** Runs `fn` while sampling `pid`'s RSS every `intervalMs`; returns its result and the highest sample. */
export async function sampleRss(pid, fn, intervalMs = 100) {
  let highest = memoryOf(pid).rssMiB;
  const timer = setInterval(() => {
    highest = Math.max(highest, memoryOf(pid).rssMiB);
  }, intervalMs);
  try {
    const value = await fn();
    return { value, highestSampleMiB: Math.max(highest, memoryOf(pid).rssMiB) };
  } finally {
    clearInterval(timer);
  }
}

/** CPU seconds `pid` has used so far, user and system (stat fields 14 and 15). */
export function cpuSecondsOf(pid) {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
