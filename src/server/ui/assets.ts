/** The web UI's static files, read once at start from beside this module (copied to dist/ by the build). */
import { readFileSync } from 'node:fs';

const read = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

/** The pages' style sheet; also inlined in the downloadable HTML report. */
export const REPORT_CSS = read('app.css');
export const APP_JS = read('app.js');
