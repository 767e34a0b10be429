/**
 * `npm run bench`: every row is a ratio against a peer or baseline measured in the same run.
 * `npm run bench -- scale h5` runs only the rows named (live, page, store, server, scale, h5, h5-first-load, sizes).
 */
import { benchH5 } from './h5';
import { benchH5FirstLoad } from './h5-first-load';
import { benchScale } from './scale';
import { benchServer } from './server';
import { benchSizes } from './sizes';
import { benchLive, benchPage, benchStore } from './store';

// Live append first: stream-chat's channels leave a heap behind that slows whatever runs after them.
const ROWS: Array<[string, () => string[] | Promise<string[]>]> = [
  ['live', benchLive],
  ['page', benchPage],
  ['store', benchStore],
  ['server', benchServer],
  ['scale', benchScale],
  ['h5', benchH5],
  ['h5-first-load', benchH5FirstLoad],
  ['sizes', benchSizes],
];

async function main(names: string[]): Promise<void> {
  const unknown = names.filter((n) => !ROWS.some(([name]) => name === n));
  if (unknown.length) throw new Error(`no bench row ${unknown.join(', ')}; rows: ${ROWS.map(([n]) => n).join(', ')}`);
  for (const [name, row] of ROWS) {
    if (names.length && !names.includes(name)) continue;
    for (const line of await row()) console.log(line);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
