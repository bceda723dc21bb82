// A worker thread's first module. workerData.module names the module that does the thread's work: a
// TypeScript source in a checkout, run through tsx like bin/rcoi.js does, or plain JavaScript in the build.
import { workerData } from 'node:worker_threads';

if (workerData.module.endsWith('.ts')) (await import('tsx/esm/api')).register();
await import(workerData.module);
