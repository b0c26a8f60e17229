/**
 * The SQL analyzer against a real MariaDB server: the column names it claims are the names mysql2 gets, and
 * every statement it calls a syntax error is one the server's parser refuses (PREPARE, which parses without
 * running), while every statement the runbooks, fixtures, docs and lab guides use is accepted by both.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import mysql from 'mysql2/promise';
import { parseDocument, visit, isMap, isScalar } from 'yaml';
import { analyzeSql } from '../../src/steps/sql/analyze.js';
import type { ValueType } from '../../src/runbook/value-type.js';
import { startMariadb, type TestMariadb } from '../helpers/mariadb.js';
import { repoRoot } from '../runbook/fixtures.js';

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path, ext);
    return name.endsWith(ext) ? [path] : [];
  });
}

/** Every literal `query:` of the repository's runbooks and fixtures (and the YAML blocks in docs). */
function repositoryQueries(): Array<{ where: string; query: string }> {
  const found: Array<{ where: string; query: string }> = [];
  const collect = (where: string, text: string): void => {
    const doc = parseDocument(text);
    visit(doc, {
      Pair(_, pair) {
        if (isScalar(pair.key) && pair.key.value === 'query' && isScalar(pair.value)) {
          const query = pair.value.value;
          if (typeof query === 'string' && !query.includes('{{')) found.push({ where, query });
        }
      },
      Map(_, map) {
        return isMap(map) ? undefined : visit.SKIP;
      },
    });
  };
  const yamlFiles = [
    ...files(join(repoRoot, 'runbooks'), '.yaml'),
    ...files(join(repoRoot, 'test'), '.yaml'),
  ];
  for (const path of yamlFiles) collect(relative(repoRoot, path), readFileSync(path, 'utf8'));
  for (const path of files(join(repoRoot, 'docs'), '.md')) {
    const text = readFileSync(path, 'utf8');
    for (const block of text.matchAll(/```yaml\n([\s\S]*?)```/g))
      collect(relative(repoRoot, path), block[1]!);
  }
  return found;
}

/** The statements the seed lab guides type at the mysql prompt. */
const GUIDE_STATEMENTS = [
  'SELECT current_timestamp()',
  'select current_timestamp()',
  'DROP TABLE sbtest1',
  'drop table sbtest1',
  'checksum table sbtest1',
  'CHECKSUM TABLE sbtest1',
  'show tables',
];

/** Statements that parse, beyond the repository's: the forms an author is likely to write. */
const MORE_STATEMENTS = [
  'DROP TABLE IF EXISTS sbtest1',
  'SET @x = 1',
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES'",
  'SET NAMES utf8mb4',
  'SELECT 1 AS status',
  "SELECT 'creating' AS status",
  'SELECT COUNT(*) AS n FROM sbtest1 WHERE id > ? AND k < ?',
  'SELECT t.id, t.k AS kk FROM sbtest1 t ORDER BY t.id DESC LIMIT 3',
  'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
  'SELECT 1 AS a UNION SELECT 2',
  'INSERT INTO sbtest1 (k, c, pad) VALUES (?, ?, ?) RETURNING id',
  'CREATE OR REPLACE TABLE t2 (id INT)',
  'CHECKSUM TABLE sbtest1, sbtest2 EXTENDED',
  'SHOW FULL TABLES',
  "SHOW GLOBAL VARIABLES LIKE 'version%'",
  'SHOW WARNINGS',
  'DO SLEEP(0)',
  'FLUSH TABLES',
  "SELECT 'a;b' AS text -- a comment; with a semicolon",
  'SELECT 1;',
];

/** Statements MariaDB refuses, and where the analyzer points. */
const REFUSED: Array<[string, string]> = [
  ['SELEC 1', 'SELEC'],
  ['CHECKSUM TABEL sbtest1', 'TABEL'],
  ['CHECKSUM TABLE', ''],
  ['CHECKSUM TABLE sbtest1 sbtest2', 'sbtest2'],
  ['SELECT 1 FROM', ''],
  ['DROP TABLE', ''],
  ['DROP TABEL sbtest1', 'TABEL'],
  ['SELECT COUNT(*) AS n FORM sbtest1', 'FORM'],
  ['SELECT (1', ''],
  ["SELECT 'unterminated", "'"],
  ['SELECT 1; SELECT 2', 'SELECT'],
  ['INSERT INTO sbtest1 VALUES (1, 2', ''],
  // The grammar takes a reserved word for a name and stops a token later; the server stops at the word.
  ['UPDATE sbtest1 SET WHERE id = 1', 'WHERE'],
  ['SELECT id FROM sbtest1 WHERE k = 1 AND ORDER BY id', 'ORDER'],
  ["SELECT id FROM sbtest1 WHERE c = 'x' AND AND pad = 'y'", 'AND'],
  ['SELECT k, FROM sbtest1', 'FROM'],
  ['SELECT k FROM WHERE k = 1', 'WHERE'],
  ['SELECT k FROM sbtest1 ORDER k', 'k'],
  ['SELECT LEFT FROM sbtest1', 'FROM'],
  // The library says this one without a position.
  ['SELECT k AS FROM sbtest1', 'FROM'],
];

/** Column names as the analyzer claims them, or undefined for rows of `any`. */
function claimedColumns(query: string): string[] | undefined {
  const result = analyzeSql(query).resultType as Extract<ValueType, { kind: 'structure' }>;
  const rows = result.members.rows as Extract<ValueType, { kind: 'list' }>;
  return rows.member.kind === 'structure' ? Object.keys(rows.member.members) : undefined;
}

describe('SQL analyzer (real MariaDB)', function () {
  this.timeout(120_000);
  let db: TestMariadb;
  let conn: mysql.Connection;

  before(async () => {
    db = await startMariadb();
    conn = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.database,
    });
    await conn.query(
      'CREATE TABLE sbtest1 (id INT AUTO_INCREMENT PRIMARY KEY, k INT NOT NULL, c CHAR(120), pad CHAR(60))',
    );
    await conn.query('CREATE TABLE sbtest2 LIKE sbtest1');
    await conn.query("INSERT INTO sbtest1 (k, c, pad) VALUES (1, 'a', 'x'), (2, 'b', 'y')");
  });
  after(async () => {
    await conn?.end();
    await db?.stop();
  });

  /**
   * The text the server's parser refuses the statement near (error 1064), undefined when it parses; PREPARE
   * does not run it.
   */
  async function serverRefusal(query: string): Promise<string | undefined> {
    try {
      await conn.query('PREPARE checked FROM ?', [query]);
      await conn.query('DEALLOCATE PREPARE checked');
      return undefined;
    } catch (error) {
      const { errno, message } = error as { errno?: number; message: string };
      if (errno !== 1064) return undefined;
      return /near '([\s\S]*)' at line \d+$/.exec(message)?.[1] ?? '';
    }
  }

  async function serverRefuses(query: string): Promise<boolean> {
    return (await serverRefusal(query)) !== undefined;
  }

  it('names the columns as mysql2 gets them', async () => {
    const queries = [
      'SELECT current_timestamp()',
      'select  CURRENT_TIMESTAMP( )',
      'SELECT NOW(6)',
      'SELECT 1, 2.50, -3',
      "SELECT 'abc', \"dq\", N'nat'",
      'SELECT 1+1, 1 + 1',
      'SELECT ID, K FROM sbtest1',
      'SELECT s.id, `k`, s.`c` FROM sbtest1 s',
      'SELECT @@version, @@max_connections',
      'SELECT COUNT( * ) FROM sbtest1',
      'SELECT COUNT(*) AS n, SUM(k) AS `Sum of k` FROM sbtest1',
      "SELECT CONCAT('a', 'b')",
      'SELECT id AS i, k kk FROM sbtest1',
      'SELECT 1 AS a UNION SELECT 2',
      'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
      "SELECT UTC_TIMESTAMP(6) >= STR_TO_DATE('2026-01-01T00:00:00Z', '%Y-%m-%dT%H:%i:%sZ') AS reached",
      "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'sbtest1'",
      'CHECKSUM TABLE sbtest1',
      'checksum table sbtest1, nosuch EXTENDED',
      `SHOW TABLES FROM ${db.database}`,
      `SHOW FULL TABLES IN ${db.database}`,
      `SHOW TABLES FROM ${db.database} LIKE 'sb%'`,
      'SHOW DATABASES',
      "SHOW DATABASES LIKE 'lab%'",
      'SHOW SCHEMAS',
      "SHOW VARIABLES LIKE 'version'",
      "SHOW GLOBAL STATUS LIKE 'Uptime'",
      'SHOW SESSION VARIABLES',
      'DESCRIBE sbtest1',
      'DESC sbtest1',
      'SHOW COLUMNS FROM sbtest1',
      'SHOW CREATE TABLE sbtest1',
      'SHOW WARNINGS',
    ];
    let compared = 0;
    for (const query of queries) {
      const claimed = claimedColumns(query);
      assert.ok(claimed !== undefined, `the analyzer knows the columns of ${query}`);
      const [, fields] = await conn.query(query);
      const names = (fields as Array<{ name: string }>).map((f) => f.name);
      assert.deepEqual(claimed, names, query);
      compared += 1;
    }
    assert.equal(compared, queries.length);
  });

  it('claims no columns where the names are not in the statement', () => {
    for (const query of [
      'SELECT * FROM sbtest1',
      'SELECT s.* FROM sbtest1 s',
      'SELECT ?',
      'SHOW TABLES',
      'DO 1',
    ]) {
      assert.equal(claimedColumns(query), undefined, query);
    }
    assert.deepEqual(claimedColumns('DROP TABLE IF EXISTS sbtest9'), []);
    assert.deepEqual(claimedColumns('UPDATE sbtest1 SET k = k + 1'), []);
  });

  it('accepts every statement of the runbooks, fixtures, docs and lab guides, as the server does', async () => {
    const queries = [
      ...repositoryQueries(),
      ...GUIDE_STATEMENTS.map((query) => ({ where: 'lab guide', query })),
      ...MORE_STATEMENTS.map((query) => ({ where: 'more', query })),
    ];
    assert.ok(queries.filter((q) => q.where.startsWith('runbooks/')).length >= 8, 'the seed queries are in');
    for (const { where, query } of queries) {
      // Fixtures about other mistakes may hold a query that is not SQL at all (`query: 42`).
      if (await serverRefuses(query)) continue;
      const { syntax } = analyzeSql(query);
      assert.equal(syntax, undefined, `${where}: ${JSON.stringify(query)}: ${syntax?.message}`);
    }
  });

  it('refuses what the server refuses, at the offending word', async () => {
    for (const [query, word] of REFUSED) {
      const near = await serverRefusal(query);
      assert.notEqual(near, undefined, `MariaDB refuses ${query}`);
      const { syntax } = analyzeSql(query);
      assert.ok(syntax, `the analyzer refuses ${query}`);
      assert.equal(query.slice(syntax.offset, syntax.offset + syntax.length), word, query);
      // Where the server stops: its message quotes the statement from there (cut after 80 characters).
      assert.ok(
        query.slice(syntax.offset).trimEnd().startsWith(near!.slice(0, 80)),
        `${query}: the server stops near ${JSON.stringify(near)}, the analyzer at ${syntax.offset}`,
      );
    }
  });

  it('counts the placeholders outside strings, names and comments', () => {
    assert.equal(analyzeSql('SELECT ?, \'?\', `?`, "?" -- ?\n, ? /* ? */ # ?').placeholders, 2);
    assert.equal(analyzeSql("SELECT 'it''s ?', 'a\\'?' , ?").placeholders, 1);
  });
});
