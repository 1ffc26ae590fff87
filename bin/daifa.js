#!/usr/bin/env node
// Entry point of the `daifa` command. The code is TypeScript run through tsx (esbuild), so a fresh clone
// needs no build step: `npm install && npm start` is all a merchant runs.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
