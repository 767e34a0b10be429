/**
 * Unsent composer text, per session: in the store at once (the sessions list shows 【草稿】), in
 * platform storage shortly after the last keystroke, so a reload or a killed app keeps it. One small
 * record per account: a draft is one composer's text and only the newest MAX_DRAFTS are kept. Only the
 * sessions whose draft changed here are written, onto the record read afresh, so that two H5 tabs of
 * one account keep each other's drafts.
 */
import { TEXT_MAX_CHARS } from '../../types/message';
import type { KeyValueStorage } from '../platform/storage';
import type { ChatStore } from '../store';

/** Writing storage on every keystroke is slow on mini programs (a sync call into the host). */
export const DRAFT_SAVE_DELAY_MS = 400;
export const MAX_DRAFTS = 50;
const draftsKey = (account: string): string => `medchat.drafts.${account}`;

/**
 * The composer's field stops here (mini programs' storage holds a key's value up to 1 MB, and the drafts
 * are one key). Well above a message's limit: a longer paste stays whole, shown with how far it is over.
 */
export const MAX_DRAFT_CHARS = 4 * TEXT_MAX_CHARS;

export class Drafts {
  private key?: string;
  private timer?: ReturnType<typeof setTimeout>;
  /** Sessions whose draft changed since the last write, the newest last. */
  private readonly changed = new Set<string>();

  constructor(
    private readonly store: ChatStore,
    private readonly persist: KeyValueStorage,
  ) {}

  /** This account's drafts from an earlier run into the store. */
  restore(account: string): void {
    const key = draftsKey(account);
    if (this.key === key) return;
    // No flush here: the store no longer holds the previous account's drafts (the caller saved them).
    clearTimeout(this.timer);
    this.key = key;
    // Typed while signing in (the page opens before the connection): newer than what was saved.
    const typed = this.store.getState().drafts;
    this.store.getState().loadDrafts({ ...this.saved(), ...typed });
    this.changed.clear();
    for (const sessionId of Object.keys(typed)) this.changed.add(sessionId);
    if (this.changed.size) this.flush();
  }

  /**
   * Called on every change of the composer's text. The store holds it as typed (the composer shows
   * it, so a leading space must stay); blank text is no draft for the list or storage.
   */
  set(sessionId: string, text: string): void {
    const draft = [...text].slice(0, MAX_DRAFT_CHARS).join('');
    if ((this.store.getState().drafts[sessionId] ?? '') === draft) return;
    this.store.getState().setDraft(sessionId, draft);
    this.changed.delete(sessionId);
    this.changed.add(sessionId);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), DRAFT_SAVE_DELAY_MS);
  }

  /** Sent: the draft goes at once, or a reload right after sending would bring the text back. */
  clear(sessionId: string): void {
    if (this.store.getState().drafts[sessionId] === undefined) return;
    this.store.getState().setDraft(sessionId, '');
    this.changed.add(sessionId);
    this.flush();
  }

  /** Sessions the person may no longer open (the store has dropped them): their drafts leave the device. */
  dropped(sessionIds: readonly string[]): void {
    for (const sessionId of sessionIds) this.changed.add(sessionId);
    this.flush();
  }

  /** Signed out: this account's drafts leave the device (the store is emptied by the caller). */
  signedOut(account: string): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.key = undefined;
    this.changed.clear();
    this.persist.remove(draftsKey(account));
  }

  /** Writes what is pending now (leaving the page, stopping). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.key || !this.changed.size) return;
    const drafts = this.store.getState().drafts;
    const record = this.saved();
    // Changed ones go last, the newest last: the oldest go first.
    for (const sessionId of this.changed) {
      delete record[sessionId];
      if (isDraft(drafts[sessionId])) record[sessionId] = drafts[sessionId];
    }
    this.changed.clear();
    const entries = Object.entries(record);
    try {
      if (entries.length) this.persist.set(this.key, Object.fromEntries(entries.slice(-MAX_DRAFTS)));
      else this.persist.remove(this.key);
    } catch {
      // A device whose storage is full keeps the drafts in the store: they only do not survive a reload,
      // and the callers (leaving a chat, a sign-out) go on.
    }
  }

  /** The drafts the device holds for the account, read afresh (another tab of it writes them too). */
  private saved(): Record<string, string> {
    const saved = this.key === undefined ? undefined : this.persist.get<Record<string, unknown>>(this.key);
    const drafts: Record<string, string> = {};
    for (const [sessionId, text] of Object.entries(saved && typeof saved === 'object' ? saved : {})) {
      if (isDraft(text)) drafts[sessionId] = text;
    }
    return drafts;
  }
}

/** Text worth keeping and showing as 【草稿】: not blank. */
export function isDraft(text: unknown): text is string {
  return typeof text === 'string' && text.trim() !== '';
}
