/** `npm run bench`: every row is a ratio against a baseline measured in the same run. */
import { benchSizes } from './sizes';
import { benchStore } from './store';

for (const row of benchStore()) console.log(row);
for (const row of benchSizes()) console.log(row);
