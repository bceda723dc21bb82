// Worker threads run the TypeScript sources through tsx, like bin/rcoi.js does for the main thread.
// workerData.module names the TypeScript module that does the thread's work.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
