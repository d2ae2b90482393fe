import { checkReports } from './audit-processes.js';

console.log(JSON.stringify(await checkReports('/tmp/s6/f/out.ndjson', '/tmp/s6/f/manifest.json')));
