/**
 * The repository stands alone: no tracked file (code, test, script, document) reaches a path
 * outside it, such as a folder that happens to sit beside a checkout. Relative paths are
 * resolved from the file that names them; the project's own src/shared is inside, and fine.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testEngine } from './helpers/db';

const root = path.resolve('.');
const RELATIVE_PATH = /(?:\.\.\/)+[\w.@-]+(?:\/[\w.@-]+)*/g;

describe.skipIf(testEngine() !== 'pglite')('the repository stands alone', () => {
  it('no tracked file names a path outside the repository', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(100);
    const outside: string[] = [];
    for (const file of files) {
      const text = readFileSync(file);
      if (text.includes(0)) continue; // binary
      for (const match of text.toString('utf8').matchAll(RELATIVE_PATH)) {
        const target = path.resolve(path.dirname(path.join(root, file)), match[0]);
        if (path.relative(root, target).startsWith('..')) outside.push(`${file}: ${match[0]}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
