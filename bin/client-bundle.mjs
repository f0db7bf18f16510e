#!/usr/bin/env node
/**
 * The command line's client half (help, import, orders, inventory) compiled by esbuild into
 * one small JavaScript file, so that those commands start in a fraction of a second instead of
 * loading TypeScript through tsx. Built at install time (`npm install` runs `prepare`) and again
 * by bin/oms.mjs whenever one of its sources is newer than the bundle, so an edited source is
 * never run stale. Run directly, it (re)builds.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = 'src/cli/client.ts';
const outDir = path.join(root, 'node_modules', '.cache', 'oms');
const bundle = path.join(outDir, 'cli-client.mjs');
const inputsFile = path.join(outDir, 'cli-client.inputs.json');

/** True when the bundle exists and no source it was built from changed since. */
function fresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
    return inputs.every((file) => statSync(path.join(root, file)).mtimeMs <= built);
  } catch {
    return false;
  }
}

async function build() {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  mkdirSync(outDir, { recursive: true });
  // Written aside, then renamed: a command started meanwhile sees the old file or the new one.
  const temporary = `${bundle}.${process.pid}`;
  writeFileSync(temporary, result.outputFiles[0].contents);
  writeFileSync(`${inputsFile}.${process.pid}`, JSON.stringify(Object.keys(result.metafile.inputs)));
  renameSync(`${inputsFile}.${process.pid}`, inputsFile);
  renameSync(temporary, bundle);
}

/** The bundle's URL, built first when missing or stale. */
export async function clientBundle() {
  if (!fresh()) await build();
  return pathToFileURL(bundle).href;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await build();
