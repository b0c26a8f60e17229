import { startArgvSampler } from '../test/helpers/argv-audit.ts';
const s = startArgvSampler(['Password1'], { marker: `X=1` });
await new Promise((r) => setTimeout(r, 2000));
console.log(await s.stop());
