/**
 * FileVerdicts on its own (server/files/verdicts.ts): which answers of a URL's check are kept, and
 * for how long. The server's use of it is in file-reads.test.ts.
 */
import { FileVerdicts, VERDICT_TTL_MS } from '../../server/files/verdicts';
import type { FileGrant } from '../../server/files/sign';

const grant: FileGrant = { convId: 'team-c1', seq: 3, viewer: 'doctor-zhang' };

/** A check answering `answers` in turn (an Error: the check fails), counting its calls. */
function scripted(...answers: Array<boolean | Error>) {
  const calls: string[] = [];
  const check = async (g: FileGrant, fileId: string) => {
    calls.push(`${g.viewer}:${fileId}`);
    const answer = answers[Math.min(calls.length, answers.length) - 1];
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { check, calls };
}

let clock = 1_000_000;
beforeEach(() => {
  clock = 1_000_000;
});

test('a yes is kept per grant and file until VERDICT_TTL_MS has passed', async () => {
  const v = new FileVerdicts(() => clock);
  const { check, calls } = scripted(true);
  for (let i = 0; i < 5; i++) expect(await v.mayOpen(grant, 'f1', check)).toBe(true);
  expect(calls).toEqual(['doctor-zhang:f1']);
  // Another file, another viewer: checks of their own.
  await v.mayOpen(grant, 'f2', check);
  await v.mayOpen({ ...grant, viewer: 'patient-li' }, 'f1', check);
  expect(calls).toHaveLength(3);
  clock += VERDICT_TTL_MS - 1;
  await v.mayOpen(grant, 'f1', check);
  expect(calls).toHaveLength(3);
  clock += 2;
  await v.mayOpen(grant, 'f1', check);
  expect(calls).toHaveLength(4);
});

test('a refusal and a failed check are asked again the next time', async () => {
  const v = new FileVerdicts(() => clock);
  const { check, calls } = scripted(false, new Error('database away'), true);
  expect(await v.mayOpen(grant, 'f1', check)).toBe(false);
  await expect(v.mayOpen(grant, 'f1', check)).rejects.toThrow('database away');
  expect(await v.mayOpen(grant, 'f1', check)).toBe(true);
  expect(calls).toHaveLength(3);
});

test('reads that come together wait for one check; after forgetAll, even with that check in flight, the next read checks again', async () => {
  const v = new FileVerdicts(() => clock);
  const { check, calls } = scripted(true, false);
  const together = [v.mayOpen(grant, 'f1', check), v.mayOpen(grant, 'f1', check)];
  v.forgetAll();
  expect(await v.mayOpen(grant, 'f1', check)).toBe(false);
  expect(await Promise.all(together)).toEqual([true, true]);
  expect(calls).toHaveLength(2);
  // The 'yes' of the check from before forgetAll is not kept for anyone after it.
  expect(await v.mayOpen(grant, 'f1', check)).toBe(false);
  expect(calls).toHaveLength(3);
});
