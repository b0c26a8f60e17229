/**
 * Reading the daemon's log from the outside: `sandboxUp` relays the daemon's `progress:` lines as they are
 * written and quotes the last lines when the daemon dies before it is ready.
 */
import { open, readFile, stat } from 'node:fs/promises';

/** Relays the daemon's `progress:` log lines written since `offset`; returns the new offset. */
export async function relayProgress(
  logFile: string,
  offset: number,
  progress: (line: string) => void,
): Promise<number> {
  let handle;
  try {
    handle = await open(logFile, 'r');
  } catch {
    return offset;
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return size < offset ? 0 : offset;
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString('utf8');
    // Only whole lines; a partial last line is read again next time.
    const end = text.lastIndexOf('\n') + 1;
    for (const line of text.slice(0, end).split('\n')) {
      const marker = line.indexOf(' progress: ');
      if (marker >= 0) progress(line.slice(marker + ' progress: '.length));
    }
    return offset + Buffer.byteLength(text.slice(0, end));
  } finally {
    await handle.close();
  }
}

export async function logTail(logFile: string, lines: number): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
