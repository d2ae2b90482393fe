/**
 * The repository documents itself: comments, tests, schemas and the README cite the repo's own docs/, never files
 * outside it, and every `docs/<page>.md §N` they cite exists.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCANNED = ['src', 'test', 'schemas', 'docs', 'scripts', 'bench', 'README.md'];

function filesUnder(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

const files = SCANNED.flatMap((entry) => filesUnder(join(ROOT, entry))).map((path) => ({
  name: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}));

test('nothing points outside the repository for its documentation', () => {
  // Built from pieces so this file does not match itself.
  const outside = new RegExp([['\\.\\.', 'shared'].join('/'), ['shared', 'docs'].join('/')].join('|'));
  const offenders = files.flatMap(({ name, text }) =>
    text.split('\n').flatMap((line, i) => (outside.test(line) ? [`${name}:${i + 1}: ${line.trim()}`] : [])),
  );
  assert.deepEqual(offenders, [], 'cite docs/… of this repository instead');
});

test('every cited docs/<page>.md exists, and so does every § it names', () => {
  const headings = new Map<string, Set<string>>();
  const sectionsOf = (page: string): Set<string> | undefined => {
    if (!headings.has(page)) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, 'docs', page), 'utf8');
      } catch {
        return undefined;
      }
      // "## 1. Title", "### 1.2 Title", "#### 1.1.3 Title" → "1", "1.2", "1.1.3"
      headings.set(page, new Set([...text.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm)].map((m) => m[1] ?? '')));
    }
    return headings.get(page);
  };
  const problems: string[] = [];
  let cited = 0;
  for (const { name, text } of files) {
    for (const m of text.matchAll(/docs\/([a-z-]+\.md)(?: §(\d+(?:\.\d+)*))?/g)) {
      cited++;
      const [, page = '', section] = m;
      const sections = sectionsOf(page);
      if (sections === undefined) problems.push(`${name}: docs/${page} does not exist`);
      else if (section !== undefined && !sections.has(section))
        problems.push(`${name}: docs/${page} has no §${section}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(cited > 30, `only ${cited} citations found: is the pattern still right?`);
});

test('finding references name documents a reader of this repository can open', () => {
  // The catalogue was first written against notes kept outside the repository (their names, their § numbers).
  const findings = files.find((f) => f.name === join('docs', 'findings.md'));
  assert.ok(findings);
  const references = findings.text.split('\n').filter((line) => line.startsWith('References:'));
  assert.ok(references.length > 10);
  assert.deepEqual(
    references.filter((line) => /tls-and-security|POX reference/.test(line)),
    [],
  );
});
