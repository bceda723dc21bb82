#!/usr/bin/env node
// A checkout runs the TypeScript sources directly (tsx): no build step, and never a stale build. The
// production image runs the build instead (`npm run build` → dist/, `node dist/cli/rcoi.js`).
import { register } from 'tsx/esm/api';

register();
await import('../cli/rcoi.ts');
