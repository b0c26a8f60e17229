/**
 * Reads binlog event headers without decoding events, to answer cheaply: how many change events an epoch
 * holds, when its last change happened, and where `mariadb-binlog --stop-datetime` will cut it.
 *
 * A binlog file is the magic `\xfebin` then events, each starting with a 19-byte header: timestamp (u32,
 * Unix seconds), type (u8), server id (u32), event length (u32, header and checksum included), next
 * position (u32), flags (u16). All little-endian.
 */
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
const HEADER_LENGTH = 19;
const CHUNK = 256 * 1024;

/** Events that describe the log itself rather than a change to data. */
const HOUSEKEEPING_EVENTS = new Set([
  3, // STOP_EVENT
  4, // ROTATE_EVENT
  15, // FORMAT_DESCRIPTION_EVENT
  27, // HEARTBEAT_LOG_EVENT
  161, // BINLOG_CHECKPOINT_EVENT
  163, // GTID_LIST_EVENT
  164, // START_ENCRYPTION_EVENT
]);

export interface EventHeader {
  /** Byte offset of the event in its file. */
  offset: number;
  timestamp: number;
  type: number;
  length: number;
}

export function isChangeEvent(type: number): boolean {
  return !HOUSEKEEPING_EVENTS.has(type);
}

/** The binlog files in `dir` (mysql-bin.000001, ...), oldest first. */
export async function listBinlogFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => /^mysql-bin\.\d+$/.test(name))
    .sort((a, b) => Number(a.slice(a.lastIndexOf('.') + 1)) - Number(b.slice(b.lastIndexOf('.') + 1)))
    .map((name) => join(dir, name));
}

/**
 * Every complete event header of `file` from byte `from` (an event boundary) on. A trailing event still
 * being written is left out, so a later scan can resume where this one stopped.
 */
export async function* readEventHeaders(file: string, from = MAGIC.length): AsyncGenerator<EventHeader> {
  const handle = await open(file, 'r');
  try {
    if (from === MAGIC.length) {
      const magic = Buffer.alloc(MAGIC.length);
      const { bytesRead } = await handle.read(magic, 0, MAGIC.length, 0);
      if (bytesRead < MAGIC.length) return;
      if (!magic.equals(MAGIC)) throw new Error(`${file} is not a binlog file`);
    }
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(CHUNK);
    let bufferStart = 0;
    let bufferLength = 0;
    let offset = from;
    while (offset + HEADER_LENGTH <= size) {
      if (offset < bufferStart || offset + HEADER_LENGTH > bufferStart + bufferLength) {
        bufferStart = offset;
        ({ bytesRead: bufferLength } = await handle.read(buffer, 0, CHUNK, offset));
        if (bufferLength < HEADER_LENGTH) return;
      }
      const at = offset - bufferStart;
      const length = buffer.readUInt32LE(at + 9);
      if (length < HEADER_LENGTH) throw new Error(`${file}: corrupt event header at byte ${offset}`);
      if (offset + length > size) return;
      yield { offset, timestamp: buffer.readUInt32LE(at), type: buffer.readUInt8(at + 4), length };
      offset += length;
    }
  } finally {
    await handle.close();
  }
}

export interface BinlogTally {
  /** Where scanning stopped: the end of the last complete event. */
  end: number;
  changeEvents: number;
  lastChangeSecond?: number;
}

/** Counts the change events of `file` from `previous.end` on, adding to `previous`. */
export async function tallyBinlog(file: string, previous?: BinlogTally): Promise<BinlogTally> {
  const tally: BinlogTally = previous ? { ...previous } : { end: MAGIC.length, changeEvents: 0 };
  for await (const event of readEventHeaders(file, tally.end)) {
    tally.end = event.offset + event.length;
    if (isChangeEvent(event.type)) {
      tally.changeEvents += 1;
      tally.lastChangeSecond = Math.max(tally.lastChangeSecond ?? 0, event.timestamp);
    }
  }
  return tally;
}

export interface BinlogCut {
  /** The files mariadb-binlog must read: those up to and including the one where it stops. */
  files: string[];
  /** Change events before the cut: what a replay applies (a cut-off transaction's events included). */
  changeEvents: number;
  /** False when every event is before the cut, i.e. the replay ends at the end of the log. */
  cutsLog: boolean;
}

/**
 * Where `mariadb-binlog --stop-datetime=<stopSecond>` stops over `files`: at the first event stamped at or
 * after `stopSecond`.
 */
export async function findCut(files: string[], stopSecond: number): Promise<BinlogCut> {
  let changeEvents = 0;
  for (const [index, file] of files.entries()) {
    for await (const event of readEventHeaders(file)) {
      if (event.timestamp >= stopSecond) {
        return { files: files.slice(0, index + 1), changeEvents, cutsLog: true };
      }
      if (isChangeEvent(event.type)) changeEvents += 1;
    }
  }
  return { files, changeEvents, cutsLog: false };
}
