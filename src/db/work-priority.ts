/**
 * Who is waiting for the database: a request someone is waiting on (the default), or
 * background work (ingest, finalizer, webhooks, relay), which nobody watches statement by
 * statement. The roles start their loops inside runInBackground(); everything those loops
 * await inherits it. PGlite runs one statement at a time, and its line serves requests first
 * (pglite.ts); the server's pool needs no such rule.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const background = new AsyncLocalStorage<true>();

export const runInBackground = <T>(work: () => T): T => background.run(true, work);

export const isBackground = (): boolean => background.getStore() === true;
