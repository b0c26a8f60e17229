import { execa } from 'execa';
import { startArgvSampler } from '../test/helpers/argv-audit.ts';
process.env.LABRUN_ARGV_AUDIT = String(process.pid);
const s = startArgvSampler(['Password1'], { marker: `LABRUN_ARGV_AUDIT=${process.pid}`, match: 'sh' });
await execa('sh', ['-c', 'sleep 0.3', 'Password1']).catch(() => {});
await execa('sh', ['-c', 'sleep 0.3', 'Password1'], { env: { LABRUN_ARGV_AUDIT: 'x' }, extendEnv: false }).catch(() => {});
console.log(await s.stop());
