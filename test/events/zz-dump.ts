import fs from 'node:fs';
import { makeTestApp } from '../helpers/app.js';
const t = await makeTestApp();
fs.writeFileSync('/tmp/openapi.json', JSON.stringify(t.openapi));
await t.close();
