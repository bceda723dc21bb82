#!/usr/bin/env node
// The CLI runs the TypeScript sources directly (tsx), so a fresh `npm ci` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
