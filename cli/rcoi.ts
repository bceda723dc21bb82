/** The `rcoi` process: bin/rcoi.js runs this source through tsx, the production image its build (dist/). */
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
