/**
 * Where labrun's own files are, whichever way it runs: tsc's output (dist/<dir>/...), the CLI bundle's chunks
 * (dist/cli/chunks/...) or the TypeScript source under tsx (src/<dir>/...). A module's depth below the package
 * differs between these, so paths are taken from the package root, not relative to the module.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory at or above the module at `moduleUrl` that holds a package.json. */
export function packageRoot(moduleUrl: string): string {
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}
