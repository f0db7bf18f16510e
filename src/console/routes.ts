/**
 * The web console at /console: static files (no build step) and the two libraries it runs on,
 * Preact and htm, served from node_modules by a fixed list (no path from the request reaches
 * the file system). It calls the same JSON API as everyone else, with the key the user typed
 * (kept in the browser's sessionStorage only).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { Api } from '../http/types';
import { EVENT_TYPES } from '../contracts/events';
import { ORDER_STATUSES, TRANSITIONS } from '../oms/orders/lifecycle';

/**
 * The facts the console shows that the service owns (statuses, what a person may do in each,
 * the event types an endpoint may subscribe to), as an ES module written from the same
 * constants the API checks against: the browser never keeps a copy of its own.
 */
export const CATALOGUE_MODULE = [
  '// Written by the service from its own definitions (src/console/routes.ts): do not copy.',
  `export const ORDER_STATUSES = ${JSON.stringify(ORDER_STATUSES)};`,
  `export const ACTIONS = ${JSON.stringify(TRANSITIONS)};`,
  `export const EVENT_TYPES = ${JSON.stringify(EVENT_TYPES)};`,
  '',
].join('\n');

// Their ES module builds, as Node resolves them for `import` (plain browser-ready modules).
const resolveModule = (specifier: string) => fileURLToPath(import.meta.resolve(specifier));
const VENDOR: Record<string, string> = {
  'preact.js': resolveModule('preact'),
  'hooks.js': resolveModule('preact/hooks'),
  'htm.js': resolveModule('htm'),
};

// The page loads only its own scripts and styles, and talks only to this origin.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Read once per process, on the first request for one (apps built in tests never pay for it). */
let vendorFiles: Promise<Map<string, string>> | undefined;
function vendor(): Promise<Map<string, string>> {
  vendorFiles ??= Promise.all(
    Object.entries(VENDOR).map(
      async ([name, file]) =>
        // The hooks import "preact" by its bare name: point it at our copy, so that the page needs
        // no import map (an inline script the Content-Security-Policy would have to allow).
        [name, (await readFile(file, 'utf8')).replace(/from\s*(["'])preact\1/g, 'from"/console/vendor/preact.js"')] as const,
    ),
  ).then((entries) => new Map(entries));
  return vendorFiles;
}

export async function consoleRoutes(app: Api): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    });
    await scope.register(fastifyStatic, {
      root: path.join(path.dirname(fileURLToPath(import.meta.url)), 'public'),
      prefix: '/console/',
      index: 'index.html',
      redirect: true,
      schemaHide: true,
    });
    scope.get('/console/catalogue.js', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(CATALOGUE_MODULE),
    );
    scope.get('/console/vendor/:name', { schema: { hide: true } }, async (request, reply) => {
      const body = (await vendor()).get((request.params as { name: string }).name);
      if (!body) return reply.callNotFound();
      return reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body);
    });
  });
}
