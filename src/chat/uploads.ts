/**
 * Own media messages before they can be sent: shown at once from the local file with upload progress
 * and held in the outbox (what is composed after one waits behind it), uploaded, then sent with the
 * attach the upload resolved with. The file is kept until its upload succeeds, so a failed upload is
 * done again on resend. One picked without a connection stays 'sending' and is uploaded when the
 * connection is back. Only the message outlives a reload or a restart, not the file: it comes back
 * failed (FILE_LOST_TEXT).
 */
import type { MediaKind } from '../../types/media';
import type { Message } from '../../types/message';
import type { ImProvider } from '../im/types';
import type { LocalFile } from '../platform/files';
import type { ChatStore } from '../store';
import { connectionLost } from '../im/types';
import { failureText } from './errorText';
import type { Sender } from './sender';
import { FILE_LOST_TEXT } from './sender';

export class Uploads {
  /** Files of own media messages not uploaded yet (or whose upload failed), by idClient. */
  private readonly files = new Map<string, { kind: MediaKind; file: LocalFile }>();
  /** Messages whose upload found no connection, in the order composed: they go with the next sync. */
  private waiting: Message[] = [];

  constructor(
    private readonly store: ChatStore,
    private readonly provider: ImProvider,
    private readonly sender: Sender,
    /** Whether the connection is up (synced): an upload that finds no network then is a failure to show. */
    private readonly connected: () => boolean,
  ) {}

  /** A new media message: into the list and the outbox, uploaded, then sent in the order composed. */
  async send(msg: Message, kind: MediaKind, file: LocalFile): Promise<void> {
    if (!this.sender.enqueue(msg)) return;
    this.files.set(msg.idClient, { kind, file });
    await this.uploadThenSend(msg);
  }

  /** The connection is back (synced): the uploads that waited for it go now. */
  async resume(): Promise<void> {
    for (const msg of this.waiting.splice(0)) await this.uploadThenSend(msg);
  }

  /** A failed media message not uploaded yet: uploaded again, or, its file gone with an earlier run, left failed. */
  async retry(msg: Message): Promise<void> {
    if (!this.files.has(msg.idClient)) return this.sender.failed(msg, FILE_LOST_TEXT);
    this.sender.enqueue({ ...msg, status: 'sending', error: undefined });
    await this.uploadThenSend(msg);
  }

  private async uploadThenSend(msg: Message): Promise<void> {
    const s = this.store.getState;
    const pending = this.files.get(msg.idClient);
    if (!pending) return;
    s().setUploadProgress(msg.idClient, 0);
    try {
      const uploaded = await this.provider.upload(pending.kind, pending.file, (p) => s().setUploadProgress(msg.idClient, p));
      this.files.delete(msg.idClient);
      // The device's own poster stays with the bubble; only the upload's id goes to the server.
      const poster = msg.attach?.poster;
      this.sender.enqueue({ ...msg, attach: { ...uploaded, ...(poster !== undefined ? { poster } : {}) }, status: 'sending' });
    } catch (e) {
      // Offline while the connection is down: it waits, like text in the outbox. With the connection
      // up, the network's failure is this upload's own (and the resend button the way out).
      if (connectionLost(e) && !this.connected()) this.waiting.push(msg);
      else this.sender.failed(msg, failureText(e));
      return;
    } finally {
      s().setUploadProgress(msg.idClient, undefined);
    }
    await this.sender.pump();
  }
}
