/** `npm run bench`: every row is a ratio against a peer or baseline measured in the same run. */
import { benchH5 } from './h5';
import { benchH5FirstLoad } from './h5-first-load';
import { benchScale } from './scale';
import { benchServer } from './server';
import { benchSizes } from './sizes';
import { benchLive, benchStore } from './store';

async function main(): Promise<void> {
  // Live append first: stream-chat's channels leave a heap behind that slows whatever runs after them.
  for (const row of benchLive()) console.log(row);
  for (const row of benchStore()) console.log(row);
  for (const row of await benchServer()) console.log(row);
  for (const row of await benchScale()) console.log(row);
  for (const row of await benchH5()) console.log(row);
  for (const row of await benchH5FirstLoad()) console.log(row);
  for (const row of benchSizes()) console.log(row);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
