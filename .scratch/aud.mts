import { auditText, auditFindings } from '../test/helpers/secret-audit.ts';
const s = 'My"Sec\\ret\tSp ce%9';
auditText('json', JSON.stringify({ a: s }));
auditText('url', encodeURIComponent(s));
auditText('plain-masked', 'My"****');
console.log(auditFindings());
