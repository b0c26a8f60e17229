/**
 * Writes src/steps/aws/models.generated.ts: per RDS and CloudFormation operation, the input and output shapes
 * of the installed AWS SDK v3 clients, so that `labrun validate` checks params and result paths without
 * loading the SDK. Run after upgrading an SDK client: npx tsx scripts/gen-aws-models.ts (with --check it only
 * reports whether the committed file is current).
 *
 * Where it comes from: each client exports its operations' schemas (`<Operation>$`, read with
 * @smithy/core/schema's NormalizedSchema): member names and types, and the count of required members, which
 * the schema lists first. The schemas do not carry enum values; the clients' type declarations do (a member
 * typed `Engine?: EngineFamily | undefined` names an exported enum object), so those are read from the
 * declaration files with the TypeScript parser. The schemas have one numeric type for integers and
 * floating-point numbers alike, so numbers are `number` here.
 *
 * The module is compact: every distinct shape is stored once in a table and operations point into it; the
 * table is one JSON string, parsed on first use.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NormalizedSchema } from '@smithy/core/schema';
import ts from 'typescript';

const target = fileURLToPath(new URL('../src/steps/aws/models.generated.ts', import.meta.url));

const CLIENTS = [
  { service: 'rds', pkg: '@aws-sdk/client-rds' },
  { service: 'cloudformation', pkg: '@aws-sdk/client-cloudformation' },
] as const;

/**
 * One entry of the shape table: 's' string, 'n' number, 'b' boolean, 't' timestamp, 'a' anything;
 * ['e', ...values] a string with known values; ['l', i] a list of shape i; ['m', i] a map to shape i;
 * ['S', required, name, i, name, i, ...] a structure whose first `required` members are required.
 */
type Encoded = string | Array<string | number>;

type Schema = ReturnType<typeof NormalizedSchema.of>;
type SchemaRef = Parameters<typeof NormalizedSchema.of>[0];

/** Interface name -> member name -> enum values, from a client's declaration files. */
function enumMembers(pkg: string, module: Record<string, unknown>): Map<string, Map<string, string[]>> {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve(`${pkg}/package.json`)), 'dist-types', 'models');
  const enumValues = (name: string): string[] | undefined => {
    const value = module[name];
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const values = Object.values(value as Record<string, unknown>);
    return values.length > 0 && values.every((v) => typeof v === 'string')
      ? [...new Set(values)].sort()
      : undefined;
  };
  const result = new Map<string, Map<string, string[]>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.d.ts'))) {
    const source = ts.createSourceFile(file, readFileSync(join(dir, file), 'utf8'), ts.ScriptTarget.Latest);
    for (const statement of source.statements) {
      if (!ts.isInterfaceDeclaration(statement)) continue;
      const members = new Map<string, string[]>();
      for (const member of statement.members) {
        if (!ts.isPropertySignature(member) || !member.type || !member.name) continue;
        const name = member.name.getText(source);
        const types = ts.isUnionTypeNode(member.type) ? member.type.types : [member.type];
        for (const type of types) {
          const element = ts.isArrayTypeNode(type) ? type.elementType : type;
          if (!ts.isTypeReferenceNode(element)) continue;
          const values = enumValues(element.typeName.getText(source));
          if (values) members.set(name, values);
        }
      }
      if (members.size > 0) result.set(statement.name.text, members);
    }
  }
  return result;
}

class ShapeTable {
  readonly entries: Encoded[] = ['s', 'n', 'b', 't', 'a'];
  private readonly index = new Map<string, number>(this.entries.map((e, i) => [JSON.stringify(e), i]));
  /** Structures being encoded, to cut recursive shapes (a cycle becomes 'a'). */
  private readonly visiting = new Set<string>();
  private readonly byName = new Map<string, number>();

  /** The enum values of the client whose operations are being added. */
  enums = new Map<string, Map<string, string[]>>();

  private intern(entry: Encoded): number {
    const key = JSON.stringify(entry);
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.entries.length;
      this.entries.push(entry);
      this.index.set(key, i);
    }
    return i;
  }

  add(schema: Schema, enumValues?: string[]): number {
    if (schema.isStructSchema()) return this.struct(schema);
    if (schema.isListSchema()) return this.intern(['l', this.add(schema.getValueSchema(), enumValues)]);
    if (schema.isMapSchema()) return this.intern(['m', this.add(schema.getValueSchema())]);
    if (schema.isTimestampSchema()) return 3;
    if (schema.isBooleanSchema()) return 2;
    if (schema.isNumericSchema() || schema.isBigIntegerSchema() || schema.isBigDecimalSchema()) return 1;
    if (schema.isStringSchema() || schema.isBlobSchema()) {
      return enumValues ? this.intern(['e', ...enumValues]) : 0;
    }
    return 4;
  }

  private struct(schema: Schema): number {
    const name = schema.getName(true) ?? '';
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    if (this.visiting.has(name)) return 4;
    this.visiting.add(name);
    const raw = schema.getSchema() as unknown[];
    const required = typeof raw[6] === 'number' ? raw[6] : 0;
    const enums = this.enums.get(schema.getName() ?? '');
    const entry: Encoded = ['S', required];
    for (const [member, memberSchema] of schema.structIterator()) {
      entry.push(member, this.add(memberSchema, enums?.get(member)));
    }
    this.visiting.delete(name);
    const i = this.intern(entry);
    this.byName.set(name, i);
    return i;
  }
}

export async function generateModelsModule(): Promise<string> {
  const require = createRequire(import.meta.url);
  const versions: string[] = [];
  const operations: Record<string, Record<string, [number, number]>> = {};
  // One table for both services: they share the primitive and common shapes.
  const table = new ShapeTable();
  const unit = NormalizedSchema.of([3, '', 'Unit', 0, [], []] as SchemaRef);
  for (const { service, pkg } of CLIENTS) {
    const module = (await import(pkg)) as Record<string, unknown>;
    const version = (
      JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }
    ).version;
    versions.push(`${pkg} ${version}`);
    table.enums = enumMembers(pkg, module);
    const byOperation: Record<string, [number, number]> = {};
    const commands = Object.keys(module)
      .filter((name) => /^[A-Z][A-Za-z0-9]*Command$/.test(name) && typeof module[name] === 'function')
      .map((name) => name.slice(0, -'Command'.length))
      .sort();
    for (const operation of commands) {
      const schema = module[`${operation}$`];
      if (!Array.isArray(schema) || schema[0] !== 9)
        throw new Error(`${pkg}: no operation schema for ${operation}`);
      const input = NormalizedSchema.of(schema[4] as SchemaRef);
      const output = NormalizedSchema.of(schema[5] as SchemaRef);
      byOperation[operation] = [
        table.add(input.isUnitSchema() ? unit : input),
        table.add(output.isUnitSchema() ? unit : output),
      ];
    }
    operations[service] = byOperation;
  }
  const json = JSON.stringify({ shapes: table.entries, operations });
  return [
    '// Generated by scripts/gen-aws-models.ts from the installed AWS SDK v3 clients; do not edit.',
    `// ${versions.join(', ')}`,
    '// The shape table is read by ./model.ts; see the generator for its encoding.',
    '',
    // Single quotes, as the formatter writes them: the JSON holds double quotes and no single ones.
    `export const MODELS_JSON =\n  '${json.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}';`,
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await generateModelsModule();
  if (process.argv.includes('--check')) {
    const current = readFileSync(target, 'utf8');
    if (current !== text) {
      console.error(`${target} is out of date; run npx tsx scripts/gen-aws-models.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(target, text);
    console.log(`wrote ${target} (${text.length} bytes)`);
  }
}
