/**
 * What every local user sees: the command lines of all processes (/proc/<pid>/cmdline, what `ps` prints).
 * A sampler reads them every few milliseconds and counts each occurrence of the audited secrets, so that a
 * password handed to sysbench, mysql or mariadbd on argv, by labrun, the sandbox or a test helper, is caught.
 * labrun's own command line is not counted: a secret there was typed by the test (`--set token=...`).
 */
import { readdir, readFile } from 'node:fs/promises';

/**
 * The environment entry that marks this test process's descendants (set once, inherited by every process the
 * tests start, the sandbox daemons and their children included): pass it as `marker`.
 */
export function argvAuditMarker(): string {
  process.env.LABRUN_ARGV_AUDIT ??= String(process.pid);
  return `LABRUN_ARGV_AUDIT=${process.env.LABRUN_ARGV_AUDIT}`;
}

export interface ArgvFinding {
  secret: string;
  /** The command line the secret was seen in, with the secret itself cut out. */
  command: string;
}

export interface ArgvSampler {
  /** Stops sampling and returns what was seen. */
  stop(): Promise<ArgvReport>;
}

export interface ArgvReport {
  samples: number;
  /** Distinct processes (pid and start of command line) whose command line was read. */
  processes: number;
  /** Distinct processes whose program is `match` (see startArgvSampler). */
  matched: number;
  findings: ArgvFinding[];
}

/**
 * Samples every process's command line every `intervalMs` until stopped. `match` (a program name such as
 * `sysbench`) counts the processes of that program seen, to show the sampling saw what it was meant to.
 * With `marker` (`NAME=value`), only processes whose environment holds it count: the descendants of the
 * process that set it, the sandbox daemon it started included, and not other programs on the machine.
 */
export function startArgvSampler(
  secrets: readonly string[],
  options: { intervalMs?: number; match?: string; marker?: string } = {},
): ArgvSampler {
  const intervalMs = options.intervalMs ?? 20;
  const seen = new Set<string>();
  const matched = new Set<string>();
  const findings = new Map<string, ArgvFinding>();
  let samples = 0;
  let stopped = false;

  const sample = async (): Promise<void> => {
    const entries = (await readdir('/proc').catch(() => [] as string[])).filter((e) => /^\d+$/.test(e));
    const lines = await Promise.all(
      entries.map((entry) => readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')),
    );
    for (const [i, raw] of lines.entries()) {
      if (raw === '') continue;
      if (options.marker !== undefined && !(await environ(entries[i]!)).includes(options.marker)) continue;
      const argv = raw.split('\0').filter((part) => part !== '');
      const key = `${entries[i]}:${argv[0] ?? ''}`;
      seen.add(key);
      if (options.match !== undefined && (argv[0] ?? '').split('/').pop() === options.match) matched.add(key);
      const line = argv.join(' ');
      // labrun's own command line holds what the test typed (`--set password=...`), not what labrun passed on.
      if (argv.some((part) => part.endsWith('dist/cli/main.js'))) continue;
      for (const secret of secrets) {
        if (!line.includes(secret)) continue;
        const command = line.split(secret).join('<secret>');
        findings.set(`${secret}\0${command}`, { secret, command });
      }
    }
    samples += 1;
  };

  const loop = (async () => {
    while (!stopped) {
      await sample();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();

  return {
    async stop(): Promise<ArgvReport> {
      stopped = true;
      await loop;
      return { samples, processes: seen.size, matched: matched.size, findings: [...findings.values()] };
    },
  };
}

/** The NUL-separated `NAME=value` entries of a process's environment ([] once it has gone). */
async function environ(pid: string): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  return raw.split('\0');
}
