import { createProvider } from '../im';
import { newIdClient } from '../im/ids';
import { serverBaseUrl } from '../platform/server';
import { storage, tabStorage } from '../platform/storage';
import { upload } from '../platform/upload';
import { chatStore } from '../store';
import { ChatController } from './controller';

let instance: ChatController | undefined;

/** The app's one controller, created on first use (pages may render before it is needed). */
export function chat(): ChatController {
  if (!instance) {
    const provider = createProvider(deviceId());
    const controller = new ChatController(chatStore, provider, storage, { upload, baseUrl: serverBaseUrl() });
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

const TOKEN_KEY = 'medchat.token';

/** This tab's token first; a new tab falls back to the last one signed in on this device. */
export const savedToken = (): string | undefined => tabStorage.get<string>(TOKEN_KEY) ?? storage.get<string>(TOKEN_KEY);
export function saveToken(token: string): void {
  tabStorage.set(TOKEN_KEY, token);
  storage.set(TOKEN_KEY, token);
}
