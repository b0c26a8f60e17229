/**
 * What labrun knows about one SQL statement before it runs: whether MariaDB would parse it, how many `?`
 * placeholders it has, and the columns of the rows it returns. Used by the sql step's static checks and by
 * the sql probe of wait-until.
 *
 * Statements are parsed with node-sql-parser's MariaDB grammar, loaded only when a statement needs it; where
 * that grammar is stricter than the server (it refuses `AS status`, which MariaDB takes), its MySQL grammar
 * gets a second look, and only a statement both refuse is reported. Statements the library does not cover
 * well are recognized here (`CHECKSUM TABLE`, the common `SHOW` forms) or not checked at all (`DO`,
 * `FLUSH`, ...): a false alarm would stop a runbook that works.
 *
 * Column names follow what the server sends and mysql2 uses as row keys: the alias, else a column's own name
 * as written (without its table), else a string literal's value, else the expression's text as written
 * (`current_timestamp()`). Where a name cannot be known (`SELECT *`, `SELECT ?`), rows are `any`.
 */
import { createRequire } from 'node:module';
import { closest } from '../../runbook/did-you-mean.js';
import type { ValueType } from '../../runbook/value-type.js';
import { tokenize, type SqlToken } from './lexer.js';

export interface SqlSyntaxProblem {
  /** Offset and length of the offending text in the query. */
  offset: number;
  length: number;
  message: string;
  hint?: string;
}

export interface SqlAnalysis {
  /** The statement's first keyword, uppercased (`SELECT`, `CHECKSUM`), when there is one. */
  statement?: string;
  /** Set when MariaDB would refuse the statement. */
  syntax?: SqlSyntaxProblem;
  /** The `?` placeholders outside strings, names and comments. */
  placeholders: number;
  /** `{rows, rowCount, affectedRows, insertId}` with the row's columns where the statement says them. */
  resultType: ValueType;
}

const ANY: ValueType = { kind: 'any' };
const STRING: ValueType = { kind: 'string' };
const INTEGER: ValueType = { kind: 'integer' };

/** The keywords a MariaDB statement can begin with. */
const STATEMENT_KEYWORDS = [
  'ALTER', 'ANALYZE', 'BACKUP', 'BEGIN', 'BINLOG', 'CACHE', 'CALL', 'CHANGE', 'CHECK', 'CHECKSUM', 'COMMIT',
  'CREATE', 'DEALLOCATE', 'DELETE', 'DESC', 'DESCRIBE', 'DO', 'DROP', 'EXECUTE', 'EXPLAIN', 'FLUSH', 'GET',
  'GRANT', 'HANDLER', 'HELP', 'INSERT', 'INSTALL', 'KILL', 'LOAD', 'LOCK', 'OPTIMIZE', 'PREPARE', 'PURGE',
  'RELEASE', 'RENAME', 'REPAIR', 'REPLACE', 'RESET', 'RESIGNAL', 'REVOKE', 'ROLLBACK', 'SAVEPOINT', 'SELECT',
  'SET', 'SHOW', 'SHUTDOWN', 'SIGNAL', 'START', 'STOP', 'TABLE', 'TRUNCATE', 'UNINSTALL', 'UNLOCK', 'UPDATE',
  'USE', 'VALUES', 'WITH', 'XA',
]; // prettier-ignore

/** Statements whose syntax the parser's grammar covers well enough to refuse what it does not parse. */
const PARSED = new Set([
  'SELECT', 'WITH', '(', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE', 'DROP', 'TRUNCATE', 'RENAME', 'USE',
  'CREATE', 'ALTER', 'SET',
]); // prettier-ignore

/** Forms of the parsed statements that the grammar lacks although MariaDB has them. */
const UNPARSED_FORMS = [
  /^CREATE\s+OR\s+REPLACE\b/i,
  /^SET\s+((GLOBAL|SESSION|LOCAL)\s+)?(NAMES|CHARACTER|CHARSET|PASSWORD|ROLE|DEFAULT|TRANSACTION|STATEMENT)\b/i,
];

/** Statements whose rows are always empty (no `RETURNING`). */
const NO_ROWS = new Set([
  'INSERT',
  'REPLACE',
  'UPDATE',
  'DELETE',
  'DROP',
  'TRUNCATE',
  'RENAME',
  'USE',
  'CREATE',
]);

function sqlResult(row: ValueType): ValueType {
  return {
    kind: 'structure',
    members: {
      rows: { kind: 'list', member: row },
      rowCount: INTEGER,
      affectedRows: INTEGER,
      insertId: INTEGER,
    },
  };
}

function rowOf(columns: Array<[string, ValueType]> | undefined): ValueType {
  return columns === undefined ? ANY : { kind: 'structure', members: Object.fromEntries(columns) };
}

export function analyzeSql(query: string): SqlAnalysis {
  const { tokens, error } = tokenize(query);
  const placeholders = tokens.filter((t) => t.kind === 'placeholder').length;
  const result = (
    columns: Array<[string, ValueType]> | undefined,
    extra: Partial<SqlAnalysis> = {},
  ): SqlAnalysis => ({ placeholders, resultType: sqlResult(rowOf(columns)), ...extra });
  if (error)
    return result(undefined, { syntax: { ...error, message: `SQL syntax error: ${error.message}` } });
  const first = tokens[0];
  if (first === undefined) {
    return result(undefined, {
      syntax: { offset: 0, length: query.length, message: 'the query has no statement' },
    });
  }
  const semicolon = tokens.findIndex((t) => t.text === ';');
  if (semicolon >= 0 && semicolon < tokens.length - 1) {
    const second = tokens[semicolon + 1]!;
    return result(undefined, {
      syntax: {
        offset: second.start,
        length: second.end - second.start,
        message: 'a second SQL statement: a sql step runs one statement',
        hint: 'Put each statement in its own sql step.',
      },
    });
  }
  const statement = first.kind === 'word' ? first.value : first.text;
  if (first.kind !== 'word' && first.text !== '(') {
    return result(undefined, { syntax: nearProblem(query, first.start, first.end - first.start) });
  }
  if (first.kind === 'word' && !STATEMENT_KEYWORDS.includes(statement)) {
    const match = closest(statement, STATEMENT_KEYWORDS);
    return result(undefined, {
      statement,
      syntax: {
        offset: first.start,
        length: first.end - first.start,
        message: `SQL syntax error: "${first.text}" does not begin an SQL statement`,
        hint: match ? `did you mean "${match}"?` : 'An SQL statement begins with a keyword such as SELECT.',
      },
    });
  }
  const words = tokens.filter((t) => t.text !== ';');
  if (statement === 'CHECKSUM') return checksumTable(words, result);
  if (statement === 'SHOW') return result(showColumns(words), { statement });
  if ((statement === 'DESCRIBE' || statement === 'DESC') && isTableName(words.slice(1))) {
    return result(DESCRIBE_COLUMNS, { statement });
  }
  const text = query.slice(first.start);
  if (!PARSED.has(statement) || UNPARSED_FORMS.some((form) => form.test(text))) {
    return result(undefined, { statement });
  }
  const parsed = parse(query, tokens);
  if ('syntax' in parsed) return result(undefined, { statement, syntax: parsed.syntax });
  return result(columnsOf(parsed.ast, tokens, query, statement), { statement });
}

// ---- CHECKSUM TABLE tbl_name [, tbl_name] ... [QUICK | EXTENDED] ----

const CHECKSUM_FORM = 'The statement is CHECKSUM TABLE name[, name...] [QUICK | EXTENDED].';

function checksumTable(
  tokens: SqlToken[],
  result: (columns: Array<[string, ValueType]> | undefined, extra?: Partial<SqlAnalysis>) => SqlAnalysis,
): SqlAnalysis {
  const fail = (at: number, hint: string): SqlAnalysis => {
    const token = tokens[at];
    const syntax: SqlSyntaxProblem = token
      ? {
          offset: token.start,
          length: token.end - token.start,
          message: `SQL syntax error near "${token.text}"`,
          hint,
        }
      : {
          offset: tokens.at(-1)!.end,
          length: 0,
          message: 'SQL syntax error: the statement ends too early',
          hint,
        };
    return result(undefined, { statement: 'CHECKSUM', syntax });
  };
  if (tokens[1]?.value !== 'TABLE') {
    const typo = tokens[1]?.kind === 'word' && closest(tokens[1].value, ['TABLE']) !== undefined;
    return fail(1, typo ? 'did you mean "TABLE"?' : CHECKSUM_FORM);
  }
  let i = 2;
  for (;;) {
    const name = tableName(tokens, i);
    if (name === undefined) return fail(i, 'CHECKSUM TABLE needs a table name.');
    i = name;
    if (tokens[i]?.text !== ',') break;
    i += 1;
  }
  if (tokens[i]?.value === 'QUICK' || tokens[i]?.value === 'EXTENDED') i += 1;
  if (i < tokens.length) return fail(i, CHECKSUM_FORM);
  return result(
    [
      ['Table', STRING],
      ['Checksum', ANY],
    ],
    { statement: 'CHECKSUM' },
  );
}

/** The index after a table name (`t`, `db.t`, quoted or not) starting at `i`, or undefined. */
function tableName(tokens: SqlToken[], i: number): number | undefined {
  const isName = (t: SqlToken | undefined): boolean => t?.kind === 'word' || t?.kind === 'quoted-name';
  if (!isName(tokens[i])) return undefined;
  if (tokens[i + 1]?.text === '.' && isName(tokens[i + 2])) return i + 3;
  return i + 1;
}

function isTableName(tokens: SqlToken[]): boolean {
  return tableName(tokens, 0) === tokens.length;
}

// ---- SHOW: the forms whose columns are fixed ----

const DESCRIBE_COLUMNS: Array<[string, ValueType]> = ['Field', 'Type', 'Null', 'Key', 'Default', 'Extra'].map(
  (name) => [name, ANY],
);

function showColumns(tokens: SqlToken[]): Array<[string, ValueType]> | undefined {
  const words = tokens.map((t) => (t.kind === 'word' ? t.value : ''));
  let i = 1;
  const full = words[i] === 'FULL';
  if (full) i += 1;
  const like = (at: number): string => {
    const pattern =
      words[at] === 'LIKE' && tokens[at + 1]?.kind === 'string' ? tokens[at + 1]!.value : undefined;
    return pattern === undefined ? '' : ` (${pattern})`;
  };
  if (words[i] === 'TABLES') {
    // SHOW [FULL] TABLES [{FROM | IN} db] [LIKE 'pattern' | WHERE expr]: the column names the database.
    if ((words[i + 1] !== 'FROM' && words[i + 1] !== 'IN') || tokens[i + 2] === undefined) return undefined;
    if (tokens[i + 2]!.kind !== 'word' && tokens[i + 2]!.kind !== 'quoted-name') return undefined;
    const name = `Tables_in_${tokens[i + 2]!.kind === 'word' ? tokens[i + 2]!.text : tokens[i + 2]!.value}`;
    return [
      [`${name}${like(i + 3)}`, STRING],
      ...(full ? [['Table_type', STRING] as [string, ValueType]] : []),
    ];
  }
  if (full) return undefined;
  if (words[i] === 'DATABASES' || words[i] === 'SCHEMAS') return [[`Database${like(i + 1)}`, STRING]];
  if (['GLOBAL', 'SESSION', 'LOCAL'].includes(words[i]!)) i += 1;
  if (words[i] === 'VARIABLES' || words[i] === 'STATUS') {
    return [
      ['Variable_name', STRING],
      ['Value', STRING],
    ];
  }
  if (i === 1 && (words[1] === 'COLUMNS' || words[1] === 'FIELDS')) return DESCRIBE_COLUMNS;
  if (i === 1 && words[1] === 'CREATE' && words[2] === 'TABLE') {
    return [
      ['Table', STRING],
      ['Create Table', STRING],
    ];
  }
  if (i === 1 && (words[1] === 'WARNINGS' || words[1] === 'ERRORS') && tokens.length === 2) {
    return [
      ['Level', STRING],
      ['Code', INTEGER],
      ['Message', STRING],
    ];
  }
  return undefined;
}

// ---- statements the parser reads ----

/** The parts of node-sql-parser's AST read here. */
interface AstNode {
  type?: string;
  [key: string]: unknown;
}
interface Location {
  start: { offset: number };
  end: { offset: number };
}
/** What the grammar wanted where it stopped: `{type: 'literal', text: '('}`, `{type: 'class'}`, ... */
interface Expectation {
  type: string;
  text?: string;
}
interface ParserInstance {
  astify(sql: string, options: { database: string; parseOptions: { includeLocations: boolean } }): unknown;
}
type ParserModule = { Parser: new () => ParserInstance };

const load = createRequire(import.meta.url);
const parsers = new Map<string, ParserInstance>();

function parser(build: 'mariadb' | 'mysql'): ParserInstance {
  let instance = parsers.get(build);
  if (instance === undefined) {
    const module = load(`node-sql-parser/build/${build}`) as ParserModule;
    instance = new module.Parser();
    parsers.set(build, instance);
  }
  return instance;
}

function parse(query: string, tokens: SqlToken[]): { ast: AstNode } | { syntax: SqlSyntaxProblem } {
  let problem: SqlSyntaxProblem | undefined;
  for (const [build, database] of [
    ['mariadb', 'MariaDB'],
    ['mysql', 'MySQL'],
  ] as const) {
    try {
      const ast = parser(build).astify(query, { database, parseOptions: { includeLocations: true } });
      return { ast: (Array.isArray(ast) ? ast[0] : ast) as AstNode };
    } catch (error) {
      const { location, expected, message } = error as {
        location?: Location;
        expected?: Expectation[];
        message?: string;
      };
      // The grammar may stop inside a word (at the M of `FORM`): point at the whole token.
      const at = location?.start.offset ?? reservedAlias(tokens, message)?.start ?? 0;
      const token = tokens.find((t) => t.start <= at && at < t.end);
      const misread = misreadKeyword(tokens, token?.start ?? at, expected);
      problem ??= misread
        ? nearProblem(query, misread.start, misread.end - misread.start)
        : token
          ? nearProblem(query, token.start, token.end - token.start)
          : nearProblem(query, at, 0);
    }
  }
  return { syntax: problem! };
}

/**
 * Reserved words that cannot begin an expression or stand for a name. The grammar reads one where an
 * expression or a name should be as a name (it then wants `.`, `(` or `=` after it) and stops a token later,
 * while MariaDB refuses the word itself: `... AND ORDER BY a` is refused "near 'ORDER BY a'".
 */
const NOT_A_NAME = new Set([
  'AND', 'AS', 'ASC', 'BETWEEN', 'BY', 'CROSS', 'DESC', 'DISTINCT', 'ELSE', 'EXCEPT', 'FOR', 'FROM', 'GROUP',
  'HAVING', 'IN', 'INNER', 'INTERSECT', 'INTO', 'IS', 'JOIN', 'LIKE', 'LIMIT', 'NATURAL', 'ON', 'OR', 'ORDER',
  'OUTER', 'SELECT', 'SET', 'STRAIGHT_JOIN', 'THEN', 'TO', 'UNION', 'USING', 'WHEN', 'WHERE', 'XOR',
]); // prettier-ignore

/** What the grammar wants after a name: a qualifier, a call, an assignment (comments and spaces aside). */
const NAME_TAIL = new Set(['.', '(', '=', ':=', '/*', '--', '#']);

/**
 * The reserved word just before where the grammar stopped, when the grammar took it for a name (it wanted
 * only what may follow a name): MariaDB stops at that word.
 */
function misreadKeyword(
  tokens: SqlToken[],
  stop: number,
  expected: Expectation[] | undefined,
): SqlToken | undefined {
  if (!expected || expected.length === 0) return undefined;
  if (!expected.every((e) => e.type === 'class' || (e.type === 'literal' && NAME_TAIL.has(e.text ?? ''))))
    return undefined;
  const previous = tokens.filter((t) => t.end <= stop).at(-1);
  return previous?.kind === 'word' && NOT_A_NAME.has(previous.value) ? previous : undefined;
}

/**
 * The reserved word given as an alias (`SELECT a AS FROM t`): the library reports it without a position, in
 * its message; MariaDB stops at the word.
 */
function reservedAlias(tokens: SqlToken[], message: string | undefined): SqlToken | undefined {
  const word = /"([^"]+)" is a reserved word/.exec(message ?? '')?.[1]?.toUpperCase();
  if (word === undefined) return undefined;
  return tokens.find(
    (t, i) => i > 0 && tokens[i - 1]!.value === 'AS' && t.kind === 'word' && t.value === word,
  );
}

/** `SQL syntax error near "..."`, quoting the text from `offset` as MariaDB does, or at the end. */
function nearProblem(query: string, offset: number, length: number): SqlSyntaxProblem {
  const rest = query.slice(offset).split('\n')[0]!.trim();
  if (rest === '') {
    return {
      offset: query.trimEnd().length,
      length: 0,
      message: 'SQL syntax error: the statement ends too early',
      hint: 'Complete the statement; MariaDB would refuse it.',
    };
  }
  const word = /^[A-Za-z0-9_$]+/.exec(rest)?.[0];
  const quoted = rest.length > 30 ? `${rest.slice(0, 30)}...` : rest;
  return {
    offset,
    length: Math.max(length, word?.length ?? 1),
    message: `SQL syntax error near "${quoted}"`,
    hint: 'MariaDB would refuse this statement; check the SQL at this position.',
  };
}

function columnsOf(
  ast: AstNode,
  tokens: SqlToken[],
  query: string,
  statement: string,
): Array<[string, ValueType]> | undefined {
  if (ast.type === 'select') return selectColumns(ast, tokens, query);
  if (NO_ROWS.has(statement) && !ast.returning) return [];
  if (statement === 'SET' || statement === 'ALTER') return [];
  return undefined;
}

function selectColumns(
  ast: AstNode,
  tokens: SqlToken[],
  query: string,
): Array<[string, ValueType]> | undefined {
  const into = ast.into as { position?: unknown } | null | undefined;
  if (into?.position) return undefined;
  const items = ast.columns;
  if (!Array.isArray(items)) return undefined;
  const texts = selectItemTexts(tokens, query);
  if (texts.length !== items.length) return undefined;
  const columns: Array<[string, ValueType]> = [];
  for (const [i, item] of (items as Array<{ expr?: AstNode; as?: unknown }>).entries()) {
    const expr = item.expr ?? {};
    if (expr.type === 'column_ref' && nameOf(expr.column) === '*') return undefined;
    const name = typeof item.as === 'string' ? item.as : unaliasedName(expr, texts[i]!);
    if (name === undefined) return undefined;
    columns.push([name, valueTypeOf(expr)]);
  }
  return columns;
}

/** Words that end a select list when they stand outside parentheses. */
const AFTER_SELECT_LIST = new Set([
  'FROM', 'INTO', 'WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'UNION', 'EXCEPT', 'INTERSECT', 'FOR',
  'LOCK', 'PROCEDURE',
]); // prettier-ignore
const SELECT_OPTIONS = new Set([
  'ALL', 'DISTINCT', 'DISTINCTROW', 'HIGH_PRIORITY', 'STRAIGHT_JOIN', 'SQL_SMALL_RESULT', 'SQL_BIG_RESULT',
  'SQL_BUFFER_RESULT', 'SQL_CACHE', 'SQL_NO_CACHE', 'SQL_CALC_FOUND_ROWS',
]); // prettier-ignore

/** The text of each item of the first select list outside parentheses, as written. */
function selectItemTexts(tokens: SqlToken[], query: string): string[] {
  let depth = 0;
  let i = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === '(') depth += 1;
    else if (t.text === ')') depth -= 1;
    else if (depth === 0 && t.kind === 'word' && t.value === 'SELECT') break;
  }
  i += 1;
  while (tokens[i]?.kind === 'word' && SELECT_OPTIONS.has(tokens[i]!.value)) i += 1;
  const texts: string[] = [];
  let start: SqlToken | undefined;
  let last: SqlToken | undefined;
  depth = 0;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (
      depth === 0 &&
      (t.text === ',' ||
        t.text === ';' ||
        t.text === ')' ||
        (t.kind === 'word' && AFTER_SELECT_LIST.has(t.value)))
    ) {
      if (start && last) texts.push(query.slice(start.start, last.end));
      start = undefined;
      if (t.text !== ',') return texts;
      continue;
    }
    if (t.text === '(') depth += 1;
    else if (t.text === ')') depth -= 1;
    start ??= t;
    last = t;
  }
  if (start && last) texts.push(query.slice(start.start, last.end));
  return texts;
}

/** The name MariaDB gives an unaliased select item written as `text`, or undefined when not known. */
function unaliasedName(expr: AstNode, text: string): string | undefined {
  switch (expr.type) {
    case 'column_ref':
      return nameOf(expr.column);
    case 'single_quote_string':
    case 'double_quote_string':
    case 'natural_string':
      return typeof expr.value === 'string' && /^N?(['"]).*\1$/s.test(text) ? expr.value : undefined;
    case 'origin':
      // A `?` is named after the value bound to it.
      return undefined;
  }
  // MariaDB drops the parentheses around a lone literal, `(1)` is named 1; not told apart here.
  if (expr.parentheses) return undefined;
  return text;
}

function nameOf(column: unknown): string | undefined {
  if (typeof column === 'string') return column;
  // Newer grammars wrap the name: {expr: {type: 'default', value: 'id'}}.
  const value = (column as { expr?: { value?: unknown } } | null)?.expr?.value;
  return typeof value === 'string' ? value : undefined;
}

function valueTypeOf(expr: AstNode): ValueType {
  if (expr.type === 'aggr_func' && String(expr.name).toUpperCase() === 'COUNT') return INTEGER;
  if (expr.type === 'single_quote_string' || expr.type === 'double_quote_string') return STRING;
  if (expr.type === 'number' && Number.isInteger(expr.value)) return INTEGER;
  return ANY;
}
