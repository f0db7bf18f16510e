/**
 * The dependency set fits the Node versions the project claims: every installed package's
 * `engines.node` (as package-lock.json records it) accepts the oldest Node that package.json's
 * `engines` allows, and the Node running this test. An install on that Node prints no EBADENGINE.
 */
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { testEngine } from './helpers/db';

describe.skipIf(testEngine() !== 'pglite')('dependencies and Node versions', () => {
  it('every package accepts the oldest Node we claim, and this one', () => {
    const claimed: string = JSON.parse(readFileSync('package.json', 'utf8')).engines.node;
    const oldest = semver.minVersion(claimed)!.version;
    expect(semver.satisfies(process.version, claimed)).toBe(true);
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
    const refusing = Object.entries(lock.packages).flatMap(([name, info]) => {
      const range = info.engines?.node;
      if (!range || name === '') return [];
      return [oldest, process.version].filter((version) => !semver.satisfies(version, range)).map((version) => `${name} wants node ${range}, not ${version}`);
    });
    expect(Object.keys(lock.packages).length).toBeGreaterThan(100);
    expect(refusing).toEqual([]);
  });
});
