// `npm run bench -- <name> [args]`: runs bench/<name>.bench.mjs against the built workspace packages and
// prints its result table. `npm run bench` alone lists the benchmarks.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace('.bench.mjs', ''));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.log(`usage: npm run bench -- <name>\navailable: ${available.join(', ')}`);
  process.exit(name ? 1 : 0);
}
const bench = await import(pathToFileURL(join(here, `${name}.bench.mjs`)).href);
await bench.run(args);
