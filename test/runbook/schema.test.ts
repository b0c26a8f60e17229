/** The committed schema and generated files are current, and the precompiled validator matches ajv. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { generateOperationsModule } from '../../scripts/gen-aws-operations.js';
import {
  SCHEMA_FILE,
  VALIDATOR_FILE,
  generateSchemaJson,
  generateValidatorModule,
} from '../../scripts/gen-schema.js';
import { loadYamlText } from '../../src/runbook/load.js';
import { compileRunbookSchema } from '../../src/runbook/schema/ajv.js';
import { buildRunbookSchema, SCHEMA_ID } from '../../src/runbook/schema/build.js';
import { validateSchema } from '../../src/runbook/schema/validate.js';
import { stepSchemas } from '../../src/steps/schemas.js';
import { repoRoot } from './fixtures.js';

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)));
}

describe('runbook schema', () => {
  it('schemas/runbook.schema.json equals the generated schema', () => {
    assert.equal(
      readFileSync(SCHEMA_FILE, 'utf8'),
      generateSchemaJson(),
      'run: npx tsx scripts/gen-schema.ts',
    );
  });

  it('the precompiled validator equals the generated one', async function () {
    this.timeout(30_000);
    assert.equal(
      readFileSync(VALIDATOR_FILE, 'utf8'),
      await generateValidatorModule(),
      'run: npx tsx scripts/gen-schema.ts',
    );
  });

  it('the AWS operation list equals the installed SDK clients', async function () {
    this.timeout(30_000);
    const committed = readFileSync(join(repoRoot, 'src/steps/aws/operations.generated.ts'), 'utf8');
    assert.equal(committed, await generateOperationsModule(), 'run: npx tsx scripts/gen-aws-operations.ts');
  });

  it('is a JSON Schema 2020-12 document with an $id', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.$id, SCHEMA_ID);
  });

  it('has a definition for every step type, built from its fragment', () => {
    const defs = buildRunbookSchema().$defs as Record<string, { properties: Record<string, unknown> }>;
    for (const [type, module] of Object.entries(stepSchemas)) {
      const name = `${type.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}Step`;
      assert.ok(defs[name], `missing ${name}`);
      for (const key of Object.keys(module.schema.properties))
        assert.ok(key in defs[name].properties, `${name}.${key}`);
      assert.ok(module.docs.length > 80, `${type} docs`);
    }
  });

  it("docs/runbook-format.md carries each step type's docs paragraph", () => {
    const docs = readFileSync(join(repoRoot, 'docs/runbook-format.md'), 'utf8');
    for (const [type, module] of Object.entries(stepSchemas)) {
      assert.ok(
        docs.includes(`### ${type}\n\n${module.docs}\n`),
        `docs/runbook-format.md: update the ${type} section`,
      );
    }
  });

  it('the precompiled validator and a fresh ajv compilation agree on every fixture and runbook', function () {
    this.timeout(30_000);
    const fresh = compileRunbookSchema();
    const files = [...yamlFilesUnder('test/fixtures'), ...yamlFilesUnder('runbooks')];
    let checked = 0;
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(repoRoot, file), 'utf8');
      } catch {
        continue;
      }
      const loaded = loadYamlText(file, text);
      if (loaded.value === undefined) continue;
      const valid = fresh(loaded.value);
      const diagnostics = validateSchema(loaded.value, loaded.map);
      assert.equal(diagnostics.length === 0, valid, `${file}: ${JSON.stringify(fresh.errors?.slice(0, 2))}`);
      checked++;
    }
    assert.ok(checked >= 50, `checked ${checked} files`);
  });

  it('the seed runbooks and shared step groups satisfy the schema', () => {
    const fresh = compileRunbookSchema();
    for (const file of yamlFilesUnder('runbooks')) {
      const loaded = loadYamlText(file, readFileSync(join(repoRoot, file), 'utf8'));
      assert.ok(fresh(loaded.value), `${file}: ${JSON.stringify(fresh.errors)}`);
    }
  });

  it('the front end never imports the AWS SDK (validation stays fast)', () => {
    const seen = new Set<string>();
    const sdkImports: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
        const spec = match[1]!;
        if (/^import\s+type\s/.test(match[0].trim()) || /^export\s+type\s/.test(match[0].trim())) continue;
        if (spec.startsWith('@aws-sdk/')) sdkImports.push(`${relative(repoRoot, file)} -> ${spec}`);
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      }
    };
    visit(join(repoRoot, 'src/runbook/index.ts'));
    assert.ok(seen.size > 10);
    assert.deepEqual(sdkImports, []);
  });
});
