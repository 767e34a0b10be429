/**
 * The session token on this device. Apart from the controller (src/chat/index.ts) so the entry page,
 * in the main package, does not pull the chat stack in with it.
 */
import { storage, tabStorage } from '../platform/storage';

const TOKEN_KEY = 'medchat.token';

/** This tab's token first; a new tab falls back to the last one signed in on this device. */
export const savedToken = (): string | undefined => tabStorage.get<string>(TOKEN_KEY) ?? storage.get<string>(TOKEN_KEY);
export function saveToken(token: string): void {
  tabStorage.set(TOKEN_KEY, token);
  storage.set(TOKEN_KEY, token);
}
/** Signed out: the device no longer signs in as this account by itself. */
export function forgetToken(): void {
  tabStorage.remove(TOKEN_KEY);
  storage.remove(TOKEN_KEY);
}
