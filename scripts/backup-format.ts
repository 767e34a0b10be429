/** What `npm run backup` writes and `npm run restore` reads. */
export const MANIFEST = 'manifest.json';
export const DB_FILE = 'medchat.sqlite';
export const ANCHORS_FILE = 'audit-anchors';

export interface Manifest {
  format: 1;
  createdAt: string;
  /** Ids of DATA_KEYS the copy's records and files may be sealed with: restore needs these keys. */
  dataKeyIds: string[];
  activeKeyId: string;
  messages: number;
  files: number;
  auditRecords: number;
}
