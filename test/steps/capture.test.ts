import assert from 'node:assert/strict';
import { startMariadb, type TestMariadb } from '../helpers/mariadb.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

describe('capture steps', function () {
  this.timeout(120_000);
  let db: TestMariadb;
  let ws: Workspace;

  before(async () => {
    db = await startMariadb();
    ws = await workspace();
  });
  after(async () => {
    await db?.stop();
    await ws?.remove();
  });

  it('captures the server clock as a UTC instant with microseconds, close to the runner clock', async () => {
    const before = Date.now();
    const { record } = await ws.run(
      `name: capture-server-time
inputs:
  host: {}
  password: { secret: true }
connections:
  db:
    host: "{{inputs.host}}"
    user: ${db.user}
    password: "{{inputs.password}}"
steps:
  - id: marker
    type: capture
    name: marker
    serverTime: db
  - id: later
    type: capture
    name: plusOne
    value: "{{addSeconds captures.marker 1}}"
`,
      { set: { host: db.host, password: db.password } },
    );
    const after = Date.now();
    assert.equal(record.status, 'passed', JSON.stringify(record.steps[0]?.error));
    const marker = record.captures.marker as string;
    assert.match(marker, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const at = Date.parse(marker);
    assert.ok(at >= before - 1000 && at <= after + 1000, `${marker} is within a second of the runner clock`);
    assert.equal(Date.parse(record.captures.plusOne as string) - at, 1000);
    assert.deepEqual(record.steps[0]!.captures, { marker });
  });

  it('captures rendered values, typed when the template is one expression', async () => {
    const { record } = await ws.run(
      `name: capture-values
inputs:
  clusterName: { default: auroralab-mysql-cluster }
  tableSize: { type: integer, default: 1000 }
steps:
  - id: name
    type: capture
    name: cloneName
    value: "{{inputs.clusterName}}-clone"
  - id: size
    type: capture
    name: size
    value: "{{inputs.tableSize}}"
  - id: check
    type: assert
    that:
      - actual: "{{captures.cloneName}}"
        equals: auroralab-mysql-cluster-clone
      - actual: "{{captures.size}}"
        equals: 1000
`,
    );
    assert.equal(record.status, 'passed');
    assert.deepEqual(record.captures, { cloneName: 'auroralab-mysql-cluster-clone', size: 1000 });
  });
});
