import { createProvider } from '../im';
import { newIdClient } from '../im/ids';
import { fileKeeper } from '../platform/keep';
import { storage, tabStorage } from '../platform/storage';
import { saveToken } from './token';
import { chatStore } from '../store';
import { ChatController } from './controller';

let instance: ChatController | undefined;

/** The app's one controller, created on first use (pages may render before it is needed). */
export function chat(): ChatController {
  if (!instance) {
    const provider = createProvider(deviceId());
    const controller = new ChatController(chatStore, provider, storage, fileKeeper);
    provider.on('token', (token) => {
      saveToken(token);
      controller.adoptToken(token);
    });
    instance = controller;
  }
  return instance;
}

/** One id per tab (H5) or per install (mini programs): the server's unit for "one device". */
function deviceId(): string {
  const KEY = 'medchat.device';
  let id = tabStorage.get<string>(KEY);
  if (!id) tabStorage.set(KEY, (id = newIdClient()));
  return id;
}
