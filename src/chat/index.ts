import { createProvider } from '../im';
import { storage, tabStorage } from '../platform/storage';
import { chatStore } from '../store';
import { ChatController } from './controller';

let instance: ChatController | undefined;

/** The app's one controller, created on first use (pages may render before it is needed). */
export function chat(): ChatController {
  instance ??= new ChatController(chatStore, createProvider());
  return instance;
}

const TOKEN_KEY = 'medchat.token';

/** This tab's token first; a new tab falls back to the last one signed in on this device. */
export const savedToken = (): string | undefined => tabStorage.get<string>(TOKEN_KEY) ?? storage.get<string>(TOKEN_KEY);
export function saveToken(token: string): void {
  tabStorage.set(TOKEN_KEY, token);
  storage.set(TOKEN_KEY, token);
}
