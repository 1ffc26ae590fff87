#!/usr/bin/env -S node --max-semi-space-size=64
// Entry point of the `daifa` command. The code is TypeScript run through tsx (esbuild), so a fresh clone
// needs no build step: `npm install && npm start` is all a merchant runs. A larger young generation (64 MB
// semi-spaces): the order loop allocates many short-lived objects, and the default made scavenges about twice as
// frequent for ~5-10% of the CPU per order (bench/pipeline).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
