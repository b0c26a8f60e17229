/**
 * When the plain snapshots of a cluster are sealed into its chunk store.
 *
 * A clone's first copy, a backtrack's end state and a replayed base start as plain directories (a rename or
 * a copy, the cheapest way to keep them), and sealing one reads and hashes every byte of it: a second or
 * more for a 1,000,000-row table. Done at once, that work competes for the machine's two cores with what
 * the lab does next (a CHECKSUM TABLE, a sysbench load on this cluster or another), and it is often never
 * needed: a lab deletes its clone minutes later. So a cluster with plain snapshots is sealed only once it is
 * quiet: for a while, no data-plane operation has held it, its server has used almost no CPU (or is not
 * running) and the machine's cores have been mostly idle.
 * `settle` seals at once, for whoever needs the disk figure now.
 */
import { readFile } from 'node:fs/promises';

export interface QuietSealerOptions {
  /** How often a waiting cluster's server is sampled. */
  sampleMs?: number;
  /** How long a cluster must be quiet before it is sealed. */
  quietMs?: number;
  /** CPU time in clock ticks (1/100 s) the server may use per sample and still count as quiet. */
  idleTicks?: number;
  /** The share of the machine's CPU time (all cores) that may be busy over a sample for it to count as quiet. */
  machineBusyShare?: number;
  /** The pid of the cluster's running server, or undefined when it is not running. */
  serverPid(id: string): number | undefined;
  /** Whether an operation holds or waits for the cluster. */
  busy(id: string): boolean;
  /** Seals one plain snapshot of the cluster under its lock; resolves whether any plain snapshot is left. */
  sealOne(id: string): Promise<boolean>;
  /** Receives a line when a seal fails (it is tried again on the next quiet spell). */
  log(line: string): void;
}

interface Watch {
  timer: NodeJS.Timeout;
  quietSince: number | undefined;
  lastTicks: number | undefined;
  lastMachine: MachineTimes | undefined;
  sealing: boolean;
}

export class QuietSealer {
  private readonly watches = new Map<string, Watch>();
  private readonly sampleMs: number;
  private readonly quietMs: number;
  private readonly idleTicks: number;
  private readonly machineBusyShare: number;
  private closed = false;

  constructor(private readonly options: QuietSealerOptions) {
    this.sampleMs = options.sampleMs ?? 500;
    this.quietMs = options.quietMs ?? 3000;
    this.idleTicks = options.idleTicks ?? 2;
    this.machineBusyShare = options.machineBusyShare ?? 0.3;
  }

  /** Watches the cluster until it has no plain snapshot left (a no-op when it is watched already). */
  watch(id: string): void {
    if (this.closed || this.watches.has(id)) return;
    const watch: Watch = {
      timer: setInterval(() => void this.sample(id, watch), this.sampleMs),
      quietSince: undefined,
      lastTicks: undefined,
      lastMachine: undefined,
      sealing: false,
    };
    // A daemon that has nothing else to do exits without waiting for a quiet spell.
    watch.timer.unref();
    this.watches.set(id, watch);
  }

  /** Stops watching the cluster (it is being deleted, or was just settled). */
  forget(id: string): void {
    const watch = this.watches.get(id);
    if (watch) clearInterval(watch.timer);
    this.watches.delete(id);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.watches.keys()]) this.forget(id);
  }

  private async sample(id: string, watch: Watch): Promise<void> {
    if (watch.sealing) return;
    const now = Date.now();
    const pid = this.options.serverPid(id);
    const ticks = pid === undefined ? undefined : await cpuTicks(pid);
    const previous = watch.lastTicks;
    watch.lastTicks = ticks;
    // Where /proc cannot be read, only the operations on the cluster tell.
    const serverQuiet =
      pid === undefined ||
      ticks === undefined ||
      (previous !== undefined && ticks - previous <= this.idleTicks);
    const machine = await machineTimes();
    const before = watch.lastMachine;
    watch.lastMachine = machine;
    const machineQuiet =
      machine === undefined ||
      (before !== undefined &&
        machine.total > before.total &&
        (machine.busy - before.busy) / (machine.total - before.total) <= this.machineBusyShare);
    if (this.options.busy(id) || !serverQuiet || !machineQuiet) {
      watch.quietSince = undefined;
      return;
    }
    watch.quietSince ??= now;
    if (now - watch.quietSince < this.quietMs) return;
    watch.sealing = true;
    try {
      const left = await this.options.sealOne(id);
      if (!left) this.forget(id);
    } catch (error) {
      this.options.log(
        `cluster ${id}: sealing a plain snapshot failed (${error instanceof Error ? error.message : String(error)}); tried again when the cluster is quiet`,
      );
    } finally {
      watch.sealing = false;
      // The seal itself used the machine: the next one waits for a quiet spell of its own.
      watch.quietSince = undefined;
      watch.lastTicks = undefined;
      watch.lastMachine = undefined;
    }
  }
}

interface MachineTimes {
  /** Clock ticks of all cores, and of those the ones not idle (nor waiting for I/O). */
  total: number;
  busy: number;
}

/** The machine's CPU times from /proc/stat; undefined when it cannot be read. */
async function machineTimes(): Promise<MachineTimes | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is counted in user already).
    const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return Number.isFinite(total) ? { total, busy: total - idle } : undefined;
  } catch {
    return undefined;
  }
}

/** User plus system CPU time of a process in clock ticks, from /proc; undefined when it cannot be read. */
async function cpuTicks(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}
