/**
 * Bundles the CLI: dist/cli/main.js becomes one entry module plus lazily loaded chunks in dist/cli/chunks/, in
 * place of the few hundred files (the AWS SDKs, yaml, ajv, handlebars, commander) Node would otherwise resolve,
 * read and compile one by one at every start. The rest of dist/ (the library, the sandbox daemon) stays as tsc wrote it.
 * node-sql-parser stays outside: analyze.ts loads one of its grammars by name when a statement needs it.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const outdir = 'dist/cli';
await rm(join(outdir, 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/main.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The SDKs' ES module builds, whose named exports survive a dynamic import() in a chunk.
  mainFields: ['module', 'main'],
  external: ['node-sql-parser'],
  chunkNames: 'chunks/[hash]',
  // Bundled CommonJS code calls require() for Node's own modules.
  banner: {
    js: "import { createRequire as __labrunRequire } from 'node:module';\nconst require = __labrunRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
