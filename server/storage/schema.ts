/**
 * One schema for SQLite and PostgreSQL: the base tables of the first release, then one ordered list
 * of migrations that upgrades an existing database in place. SQLite counts the migrations applied in
 * PRAGMA user_version, PostgreSQL in the table schema_version. Where the two databases differ (integer
 * width, SQLite's WITHOUT ROWID, trigger syntax) the dialect says how.
 */
import { type Cipher, PREFIX } from '../crypto';
import { legacyNameRows, NAME_COLUMNS } from './rows';
import { all, type Op, run } from './sql';

export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** Integer column of milliseconds, counters and seqs (beyond 2^31). */
  int: string;
  /** Table option for tables keyed by their primary key only. */
  keyed: string;
  /** Statements that make audit_log refuse UPDATE and DELETE. */
  appendOnly: string;
}

export const SQLITE: Dialect = {
  name: 'sqlite',
  int: 'INTEGER',
  keyed: 'WITHOUT ROWID',
  appendOnly: `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
   CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;`,
};

export const POSTGRES: Dialect = {
  name: 'postgres',
  int: 'BIGINT',
  keyed: '',
  appendOnly: `CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
   BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$ LANGUAGE plpgsql;
   CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();`,
};

/** The tables of the first release; idempotent, run on every open before the migrations. */
export const base = ({ int, keyed }: Dialect): string => `
CREATE TABLE IF NOT EXISTS accounts (
  account TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('patient', 'doctor'))
);
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  scene TEXT NOT NULL,
  team_id TEXT,
  team_name TEXT,
  last_seq ${int} NOT NULL DEFAULT 0,
  last_time ${int} NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS conversation_members (
  conv_id TEXT NOT NULL REFERENCES conversations(id),
  account TEXT NOT NULL,
  read_seq ${int} NOT NULL DEFAULT 0,
  PRIMARY KEY (conv_id, account)
);
CREATE INDEX IF NOT EXISTS conversation_members_account ON conversation_members(account);
CREATE TABLE IF NOT EXISTS consultations (
  id TEXT PRIMARY KEY,
  patient TEXT NOT NULL REFERENCES accounts(account),
  doctor TEXT NOT NULL REFERENCES accounts(account),
  status TEXT NOT NULL,
  created_at ${int} NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  conv_id TEXT NOT NULL,
  seq ${int} NOT NULL,
  id_server TEXT NOT NULL UNIQUE,
  id_client TEXT NOT NULL,
  from_account TEXT NOT NULL,
  from_nick TEXT,
  scene TEXT NOT NULL,
  to_target TEXT NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  attach TEXT,
  time ${int} NOT NULL,
  PRIMARY KEY (conv_id, seq),
  UNIQUE (from_account, id_client)
) ${keyed};
`;

/**
 * Statements of one schema change, or a change of data that needs the storage's keys, or statements
 * that replace a table other tables refer to (SQLite's only way to change a constraint): SQLite runs
 * those with foreign keys off and checks them after, as its documentation prescribes.
 */
export type Migration = ((d: Dialect) => string) | { data: (cipher: Cipher) => Op<void> } | { rebuild: (d: Dialect) => string };

export const MIGRATIONS: Migration[] = [
  ({ int }) => `ALTER TABLE messages ADD COLUMN recalled_at ${int}`,
  ({ int, keyed }) => `CREATE TABLE files (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    ext TEXT NOT NULL,
    mime TEXT NOT NULL,
    size ${int} NOT NULL,
    w ${int},
    h ${int},
    dur ${int},
    thumb INTEGER NOT NULL,
    created_at ${int} NOT NULL
  ) ${keyed}`,
  ({ int, keyed, appendOnly }) => `ALTER TABLE consultations ADD COLUMN max_patient_msgs ${int};
   ALTER TABLE consultations ADD COLUMN ends_at ${int};
   CREATE TABLE used_links (jti TEXT PRIMARY KEY, used_at ${int} NOT NULL) ${keyed};
   CREATE TABLE audit_log (
     seq ${int} PRIMARY KEY,
     at ${int} NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     detail TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   ${appendOnly}
   CREATE INDEX messages_time ON messages(time);`,
  // A counter kept by each append instead of a COUNT(*) over the chat on every send.
  ({ int }) => `ALTER TABLE consultations ADD COLUMN patient_msgs ${int} NOT NULL DEFAULT 0;
   UPDATE consultations SET patient_msgs = (SELECT COUNT(*) FROM messages m WHERE m.conv_id = 'team-' || consultations.id
     AND m.from_account = consultations.patient AND m.type NOT IN ('notification', 'tip'));`,
  // Uploads no message refers to are swept after a few hours; files stored before this are all kept.
  () => `ALTER TABLE files ADD COLUMN referenced INTEGER NOT NULL DEFAULT 1;
   CREATE INDEX files_owner_created ON files(owner, created_at);
   CREATE INDEX files_unreferenced ON files(created_at) WHERE referenced = 0;
   CREATE INDEX consultations_pair ON consultations(patient, doctor);`,
  // Logout and the hospital's revocations: one session by id, or '*' for every session started before at.
  ({ int, keyed }) => `CREATE TABLE session_revocations (
     account TEXT NOT NULL,
     sid TEXT NOT NULL,
     at ${int} NOT NULL,
     PRIMARY KEY (account, sid, at)
   ) ${keyed}`,
  { data: sealLegacyNames },
  // Mini-program users bound to accounts (openids sealed, found by MAC) and platform access tokens
  // shared by every process (sealed: they are credentials).
  ({ int, keyed }) => `CREATE TABLE miniapp_bindings (
     platform TEXT NOT NULL,
     appid TEXT NOT NULL,
     openid_mac TEXT NOT NULL,
     openid TEXT NOT NULL,
     unionid TEXT,
     account TEXT NOT NULL REFERENCES accounts(account),
     bound_at ${int} NOT NULL,
     PRIMARY KEY (platform, appid, openid_mac)
   ) ${keyed};
   CREATE INDEX miniapp_bindings_account ON miniapp_bindings(account);
   CREATE TABLE platform_tokens (name TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at ${int} NOT NULL) ${keyed};`,
  // The notification outbox (issue 16): written in the transaction of the message or change that makes
  // one due; one open row per person and conversation collects further events until it is due. Consent
  // the person gave per platform template, and whether they want reminders at all.
  ({ int, keyed }) => `CREATE TABLE notifications (
     id TEXT PRIMARY KEY,
     account TEXT NOT NULL,
     conv_id TEXT NOT NULL,
     consultation_id TEXT,
     kind TEXT NOT NULL,
     events ${int} NOT NULL DEFAULT 1,
     seq ${int} NOT NULL,
     event_at ${int} NOT NULL,
     state TEXT NOT NULL,
     due_at ${int} NOT NULL,
     attempts ${int} NOT NULL DEFAULT 0,
     claimed_by TEXT,
     claimed_at ${int},
     lease_until ${int},
     done_at ${int},
     outcome TEXT,
     created_at ${int} NOT NULL
   ) ${keyed};
   CREATE UNIQUE INDEX notifications_open ON notifications(account, conv_id) WHERE state IN ('pending', 'retry');
   CREATE INDEX notifications_due ON notifications(state, due_at);
   CREATE INDEX notifications_person ON notifications(account, conv_id, claimed_at);
   CREATE TABLE notify_consents (
     account TEXT NOT NULL,
     platform TEXT NOT NULL,
     template TEXT NOT NULL,
     remaining ${int} NOT NULL,
     updated_at ${int} NOT NULL,
     PRIMARY KEY (account, platform, template)
   ) ${keyed};
   CREATE TABLE notify_settings (account TEXT PRIMARY KEY, enabled INTEGER NOT NULL, updated_at ${int} NOT NULL) ${keyed};`,
  // The upload quota counts every upload admitted, refused or swept later, not the files kept.
  ({ int }) => `CREATE TABLE upload_attempts (owner TEXT NOT NULL, at ${int} NOT NULL, bytes ${int} NOT NULL);
   CREATE INDEX upload_attempts_owner_at ON upload_attempts(owner, at);`,
  // Chat kit (issue 20): a reply's quote (sealed: it holds the original's text) and the seq it names, so
  // that a recall can empty the quotes of its replies; each member's delivery cursor (reading implies
  // delivery, so existing cursors start at the read ones); a doctor's presence setting and last-seen time.
  ({ int, keyed }) => `ALTER TABLE messages ADD COLUMN quote TEXT;
   ALTER TABLE messages ADD COLUMN quote_seq ${int};
   CREATE INDEX messages_quotes ON messages(conv_id, quote_seq) WHERE quote_seq IS NOT NULL;
   ALTER TABLE conversation_members ADD COLUMN delivered_seq ${int} NOT NULL DEFAULT 0;
   UPDATE conversation_members SET delivered_seq = read_seq;
   CREATE TABLE presence_settings (account TEXT PRIMARY KEY, visible INTEGER NOT NULL DEFAULT 1, last_seen ${int}, updated_at ${int} NOT NULL) ${keyed};`,
  // The encounter (issue 17): when a consultation was accepted and closed, the patient's consent (version,
  // time, who recorded it), their identity and the hospital's records to confirm one of, the intake (all
  // three sealed JSON), the follow-up rule and count; doctors' verified identities, ratings, quick replies.
  // Consultations from before have no consent: their patients are asked for it before their next message.
  ({ int, keyed }) => `ALTER TABLE consultations ADD COLUMN accepted_at ${int};
   ALTER TABLE consultations ADD COLUMN closed_at ${int};
   ALTER TABLE consultations ADD COLUMN consent_version TEXT;
   ALTER TABLE consultations ADD COLUMN consent_at ${int};
   ALTER TABLE consultations ADD COLUMN consent_by TEXT;
   ALTER TABLE consultations ADD COLUMN identity TEXT;
   ALTER TABLE consultations ADD COLUMN candidates TEXT;
   ALTER TABLE consultations ADD COLUMN intake TEXT;
   ALTER TABLE consultations ADD COLUMN follow_up_msgs ${int};
   ALTER TABLE consultations ADD COLUMN follow_up_days ${int};
   ALTER TABLE consultations ADD COLUMN follow_ups ${int} NOT NULL DEFAULT 0;
   CREATE TABLE doctor_profiles (account TEXT PRIMARY KEY, title TEXT NOT NULL, department TEXT NOT NULL, licence TEXT NOT NULL, updated_at ${int} NOT NULL) ${keyed};
   CREATE TABLE ratings (
     consultation_id TEXT PRIMARY KEY,
     doctor TEXT NOT NULL,
     patient TEXT NOT NULL,
     stars ${int} NOT NULL,
     tags TEXT NOT NULL,
     comment TEXT,
     rated_at ${int} NOT NULL
   ) ${keyed};
   CREATE INDEX ratings_doctor ON ratings(doctor, rated_at);
   CREATE INDEX ratings_at ON ratings(rated_at, consultation_id);
   CREATE TABLE quick_replies (doctor TEXT PRIMARY KEY, items TEXT NOT NULL, updated_at ${int} NOT NULL) ${keyed};`,
  // Issue 17: pharmacists sign in like everyone (the role's CHECK widened); prescriptions with their
  // review state (the card itself is a message; its content sealed here too, for the pharmacist's
  // queue, which reads no conversation); transfers of a consultation to another doctor, with the seq
  // up to which the doctor it left keeps reading.
  {
    rebuild: (d) =>
      d.name === 'postgres'
        ? `ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_role_check;
           ALTER TABLE accounts ADD CONSTRAINT accounts_role_check CHECK (role IN ('patient', 'doctor', 'pharmacist'));`
        : `CREATE TABLE accounts_v2 (account TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('patient', 'doctor', 'pharmacist')));
           INSERT INTO accounts_v2 (account, name, role) SELECT account, name, role FROM accounts;
           DROP TABLE accounts;
           ALTER TABLE accounts_v2 RENAME TO accounts;`,
  },
  ({ int, keyed }) => `CREATE TABLE prescriptions (
     id TEXT PRIMARY KEY,
     consultation_id TEXT NOT NULL REFERENCES consultations(id),
     conv_id TEXT NOT NULL,
     seq ${int} NOT NULL,
     doctor TEXT NOT NULL,
     patient TEXT NOT NULL,
     card TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
     reason TEXT,
     reviewer TEXT,
     reviewed_at ${int},
     corrects TEXT,
     corrected_by TEXT,
     issued_at ${int} NOT NULL
   ) ${keyed};
   CREATE INDEX prescriptions_state ON prescriptions(state, issued_at);
   CREATE INDEX prescriptions_consultation ON prescriptions(consultation_id);
   CREATE TABLE consultation_transfers (
     consultation_id TEXT NOT NULL REFERENCES consultations(id),
     from_doctor TEXT NOT NULL,
     to_doctor TEXT NOT NULL,
     at_seq ${int} NOT NULL,
     at ${int} NOT NULL,
     PRIMARY KEY (consultation_id, at_seq, from_doctor)
   ) ${keyed};
   CREATE INDEX consultation_transfers_from ON consultation_transfers(from_doctor);`,
  // The consultation as it was when a transfer took it from a doctor (sealed JSON): what that doctor's
  // list shows from then on, instead of its live state. Transfers from before have none, and their
  // doctors' lists show the session without the consultation.
  () => `ALTER TABLE consultation_transfers ADD COLUMN left_state TEXT`,
  // Doctors' quick replies (what they write to patients) were stored in plaintext: sealed in place.
  { data: sealLegacyQuickReplies },
];

/**
 * What a PostgreSQL database made before it had schema_version holds: the first release's PostgreSQL
 * schema already had every table and column of the first four migrations.
 */
export const POSTGRES_BEFORE_VERSIONING = 4;

/** Quick replies stored in plaintext before they were sealed. */
function* sealLegacyQuickReplies(cipher: Cipher): Op<void> {
  for (const r of yield* all<{ doctor: string; items: string }>(`SELECT doctor, items FROM quick_replies WHERE items NOT LIKE '${PREFIX}:%'`)) {
    yield* run('UPDATE quick_replies SET items = ? WHERE doctor = ?', cipher.seal(r.items), r.doctor);
  }
}

/** Names of people, consultations and files stored in plaintext before they were sealed. */
function* sealLegacyNames(cipher: Cipher): Op<void> {
  for (const c of NAME_COLUMNS) {
    const where = c.key.map((k) => `${k} = ?`).join(' AND ');
    for (const r of yield* all<Record<string, string>>(legacyNameRows(c))) {
      yield* run(`UPDATE ${c.table} SET ${c.column} = ? WHERE ${where}`, cipher.seal(r[c.column]), ...c.key.map((k) => r[k]));
    }
  }
}
