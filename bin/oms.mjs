#!/usr/bin/env node
// The `oms` command. Sources are TypeScript, loaded through tsx: no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
