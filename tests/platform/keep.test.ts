/**
 * The mini programs' keeper of a waiting photo (src/platform/keep.ts) on the weapp fake's file system:
 * a copy among the user files, found again by a later run from the message's id and file name, removed
 * once uploaded, listed for the sweep. (H5's IndexedDB keeper runs in Chromium: tests/e2e/offline.test.ts.)
 */
import type Taro from '@tarojs/taro';
import { miniProgramKeeper } from '../../src/platform/keep';
import { createWxFake, USER_DATA_PATH } from '../weapp/wx-fake';

const photo = { bytes: Buffer.from('png'), width: 3, height: 2 };

function setup() {
  const fake = createWxFake('http://127.0.0.1:9');
  const keeper = miniProgramKeeper(fake.wx as unknown as Pick<typeof Taro, 'getFileSystemManager' | 'env'>);
  return { fake, keeper };
}

test('a temp file is copied among the user files under the message id, with its extension, and found again by a later run', async () => {
  const { fake, keeper } = setup();
  fake.files.set('wxfile://tmp_abc.png', photo);
  await keeper.keep('m1', { path: 'wxfile://tmp_abc.png', name: '皮疹.PNG', size: 3 });
  expect([...fake.userFiles.keys()]).toEqual([`${USER_DATA_PATH}/outbox-m1.png`]);
  // The next run: its temp files are gone, the copy is not.
  fake.files.clear();
  const later = miniProgramKeeper(fake.wx as unknown as Pick<typeof Taro, 'getFileSystemManager' | 'env'>);
  await expect(later.restore('m1', '皮疹.PNG')).resolves.toEqual({ path: `${USER_DATA_PATH}/outbox-m1.png` });
  await later.drop('m1', '皮疹.PNG');
  expect(fake.userFiles.size).toBe(0);
  await expect(later.restore('m1', '皮疹.PNG')).resolves.toBeUndefined();
  // Dropping what is gone already is no error.
  await expect(later.drop('m1', '皮疹.PNG')).resolves.toBeUndefined();
});

test('a copy the platform refuses (the temp file gone, no room) rejects: the file is not kept', async () => {
  const { fake, keeper } = setup();
  await expect(keeper.keep('m2', { path: 'wxfile://tmp_gone.png', name: 'gone.png', size: 3 })).rejects.toMatchObject({ errCode: 1300002 });
  expect(fake.userFiles.size).toBe(0);
  await expect(keeper.restore('m2', 'gone.png')).resolves.toBeUndefined();
});

test('list names every kept file, however many runs ago, each as drop takes it; the other user files are not its', async () => {
  const { fake, keeper } = setup();
  fake.files.set('wxfile://tmp_a.png', photo);
  fake.files.set('wxfile://tmp_b', photo);
  fake.userFiles.set(`${USER_DATA_PATH}/notes.txt`, photo);
  // Ids as src/chat/uploads.ts makes them (account~idClient); a NIM account may hold a dot.
  await keeper.keep('p1~m1', { path: 'wxfile://tmp_a.png', name: '皮疹.PNG', size: 3 });
  await keeper.keep('li.nv~m2', { path: 'wxfile://tmp_b', name: '录音', size: 3 });
  const later = miniProgramKeeper(fake.wx as unknown as Pick<typeof Taro, 'getFileSystemManager' | 'env'>);
  const listed = await later.list();
  expect(listed.map((k) => k.id).sort()).toEqual(['li.nv~m2', 'p1~m1']);
  for (const k of listed) await later.drop(k.id, k.name);
  expect([...fake.userFiles.keys()]).toEqual([`${USER_DATA_PATH}/notes.txt`]);
  await expect(later.list()).resolves.toEqual([]);
});

test('a file system that refuses: list rejects (the caller decides), drop leaves the file and resolves', async () => {
  const { fake, keeper } = setup();
  fake.files.set('wxfile://tmp_a.png', photo);
  await keeper.keep('p1~m1', { path: 'wxfile://tmp_a.png', name: 'a.png', size: 3 });
  fake.fsRefusing.add('readdir');
  await expect(keeper.list()).rejects.toMatchObject({ errCode: 1300013 });
  fake.fsRefusing.add('unlink');
  await expect(keeper.drop('p1~m1', 'a.png')).resolves.toBeUndefined();
  expect([...fake.userFiles.keys()]).toEqual([`${USER_DATA_PATH}/outbox-p1~m1.png`]);
});
