/**
 * The encounter around a consultation (issue 17), for its members: the patient confirms who the
 * consultation is for and agrees to the consent, fills the intake, rates after closing; the doctor
 * keeps their quick replies. Rules from types/encounter.ts; the admission of messages (consent,
 * follow-ups) is the consultation's rule (types/consultation.ts), checked in the append's transaction.
 */
import { randomUUID } from 'node:crypto';
import type { EncounterView, IntakeCard, IntakeForm, QuickReply, QuickReplyOp, Rating, RatingInput } from '../../types/encounter';
import { applyQuickReplyOp, careIdentity, followUpsLeft, maskIdentity, needsGuardian, rateRefusal } from '../../types/encounter';
import type { Account, ConsultationInfo } from '../../types/message';
import type { Audit } from '../audit';
import type { ChatService } from '../chat';
import { infoOf } from '../chat';
import { ClientError } from '../errors';
import type { FileService } from '../files/service';
import { intakeMessage } from '../storage/sql-storage';
import type { Consultation, Storage, StoredMessage } from '../storage/types';
import type { EncounterConfig } from './config';

/** What the doctor is told when the patient agreed (a stored notification: every device learns it). */
const CONSENT_LINE = '患者已确认就诊人信息并同意《互联网诊疗知情同意书》';

export class EncounterService {
  constructor(
    private readonly storage: Storage,
    private readonly chat: ChatService,
    private readonly files: FileService,
    private readonly audit: Audit,
    private readonly config: EncounterConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** The consultation of a team session `me` is a member of. */
  private async consultationFor(me: Account, sessionId: string): Promise<Consultation> {
    const conv = await this.chat.conversationFor(me.account, sessionId);
    const c = conv.teamId ? await this.storage.consultation(conv.teamId) : undefined;
    if (!c) throw new ClientError('notFound', 'this session is not a consultation');
    return c;
  }

  private patientOnly(me: Account, c: Consultation, what: string): void {
    if (me.account !== c.patient) throw new ClientError('forbidden', `只有本次问诊的患者可以${what}`);
  }

  async view(me: Account, c: Consultation): Promise<{ consultation: ConsultationInfo; encounter: EncounterView }> {
    const now = this.now();
    const patient = me.account === c.patient;
    const [doctor, profile, doctorRating, rating] = await Promise.all([
      this.storage.getAccount(c.doctor),
      this.storage.doctorProfile(c.doctor),
      this.storage.ratingSummary(c.doctor),
      this.storage.rating(c.id),
    ]);
    const encounter: EncounterView = {
      ...(c.identity ? { identity: patient ? maskIdentity(c.identity, now) : careIdentity(c.identity, now) } : {}),
      ...(patient && !c.identity && c.candidates ? { candidates: c.candidates.map((r) => maskIdentity(r, now)) } : {}),
      consent: { ...this.config.consent, ...(c.consent ? { accepted: c.consent } : {}) },
      ...(c.intake ? { intake: await this.chat.intakeFor(c, c.intake, me.account) } : {}),
      ...(profile ? { doctor: { name: doctor?.name ?? c.doctor, ...profile } } : {}),
      doctorRating,
      ...(rating && (patient || me.account === c.doctor) ? { rating } : {}),
      ...(c.followUp ? { followUp: { ...c.followUp, used: c.followUps, left: followUpsLeft({ ...c, followUp: c.followUp }, now) } } : {}),
    };
    return { consultation: { ...infoOf(c, me.account, now), rated: rating !== undefined }, encounter };
  }

  async encounter(me: Account, sessionId: string) {
    return this.view(me, await this.consultationFor(me, sessionId));
  }

  /** The patient confirms one of the hospital's records; a child under 6 needs its guardian on the record. */
  async confirmIdentity(me: Account, sessionId: string, candidate: number) {
    const c = await this.consultationFor(me, sessionId);
    this.patientOnly(me, c, '确认就诊人');
    if (c.identity) throw new ClientError('invalidTransition', '就诊人已确认，不能更改');
    const record = c.candidates?.[candidate];
    if (!record) throw new ClientError('badFrame', `candidate: no record ${candidate} (the hospital supplied ${c.candidates?.length ?? 0})`);
    if (needsGuardian(record, this.now())) throw new ClientError('badFrame', '6岁以下儿童须有监护人陪同就诊：请联系医院补充监护人信息');
    const confirmed = await this.storage.confirmIdentity(c.id, record);
    if (!confirmed) throw new ClientError('invalidTransition', '就诊人已确认，不能更改');
    await this.audit.record(me.account, 'encounter.identity', c.id, { candidate });
    return this.view(me, confirmed);
  }

  /**
   * Consent to the version shown. An identity must be on record when the hospital offered records to
   * confirm; without any, the hospital identified the patient itself (its SMS link to their phone).
   */
  async consent(me: Account, sessionId: string, version: string): Promise<{ consultation: ConsultationInfo; notice: StoredMessage }> {
    const c = await this.consultationFor(me, sessionId);
    this.patientOnly(me, c, '签署知情同意书');
    if (c.consent) throw new ClientError('invalidTransition', '已同意过知情同意书');
    if (!c.identity && c.candidates?.length) throw new ClientError('identityRequired', '请先确认就诊人信息');
    if (c.status === 'closed' || c.status === 'cancelled') throw new ClientError('consultationClosed', '本次问诊已结束');
    if (version !== this.config.consent.version) {
      throw new ClientError('badFrame', `version: the consent text is now version ${this.config.consent.version}; read it again`);
    }
    const given = await this.audit.stored(
      this.storage.giveConsent(
        c.id,
        { version, acceptedAt: this.now(), by: 'patient' },
        {
          conv: { id: `team-${c.id}`, scene: 'team', teamId: c.id },
          // ':' never occurs in client idClients: one notice, however often it is retried.
          idClient: `consent:${c.id}`,
          from: me.account,
          fromNick: me.name,
          scene: 'team',
          to: c.id,
          type: 'notification',
          body: CONSENT_LINE,
          attach: { consent: { version, by: me.account } },
          members: [],
        },
        () => this.audit.entry(me.account, 'encounter.consent', c.id, { version }),
      ),
    );
    if (!given) throw new ClientError('invalidTransition', '已同意过知情同意书');
    return { consultation: infoOf(given.consultation, me.account, this.now()), notice: given.notice };
  }

  /** Once per consultation, from the patient, after consent and while the consultation is open. */
  async intake(me: Account, sessionId: string, form: IntakeForm): Promise<{ stored: StoredMessage; consultation: ConsultationInfo }> {
    const c = await this.consultationFor(me, sessionId);
    this.patientOnly(me, c, '填写问诊单');
    if (c.intake) throw new ClientError('invalidTransition', '问诊单已提交');
    if (!c.consent) throw new ClientError('consentRequired', '请先确认就诊人并同意知情同意书');
    if (c.status === 'closed' || c.status === 'cancelled') throw new ClientError('consultationClosed', '本次问诊已结束');
    const card = await this.card(me.account, form, 'patient');
    const put = await this.audit.stored(
      this.storage.putIntake(c.id, card, intakeMessage(c.id, me.account, me.name, card), ({ stored }) =>
        this.audit.entry(me.account, 'encounter.intake', c.id, { seq: stored.seq, attachments: card.attachments.length }),
      ),
    );
    if (!put) throw new ClientError('invalidTransition', '问诊单已提交');
    return { stored: put.stored, consultation: infoOf(put.consultation, me.account, this.now()) };
  }

  /** The card of a form: attachments must be `owner`'s uploads (images or documents), named as measured. */
  async card(owner: string, form: IntakeForm, source: IntakeCard['source']): Promise<IntakeCard> {
    const attachments = [];
    for (const fileId of form.attachments) {
      const kind = (await this.storage.getFile(fileId))?.kind;
      if (kind !== 'image' && kind !== 'file') throw new ClientError('invalidMessage', `attachments: ${fileId} is no image or document of yours`);
      const f = await this.files.resolve(owner, kind, fileId);
      attachments.push({ fileId: f.fileId, name: f.name, mime: f.mime, size: f.size });
    }
    return { card: 'intake', ...form, attachments, source, filledAt: this.now() };
  }

  async rate(me: Account, sessionId: string, input: RatingInput): Promise<Rating> {
    const c = await this.consultationFor(me, sessionId);
    const refused = rateRefusal(c, me.account, (await this.storage.rating(c.id)) !== undefined);
    if (refused === 'notPatient') throw new ClientError('forbidden', '只有本次问诊的患者可以评价');
    if (refused === 'notClosed') throw new ClientError('invalidTransition', '问诊结束后才能评价');
    if (refused === 'rated') throw new ClientError('alreadyRated', '您已评价过本次问诊');
    const rating: Rating = { ...input, consultationId: c.id, doctor: c.doctor, patient: c.patient, ratedAt: this.now() };
    if (!(await this.storage.rate(rating))) throw new ClientError('alreadyRated', '您已评价过本次问诊');
    await this.audit.record(me.account, 'encounter.rate', c.id, { stars: input.stars });
    return rating;
  }

  async quickReplies(me: Account, op: QuickReplyOp): Promise<QuickReply[]> {
    if (me.role !== 'doctor') throw new ClientError('forbidden', '常用语仅供医生使用');
    if (op.op === 'list') return this.storage.quickReplies(me.account);
    const replies = await this.storage.editQuickReplies(
      me.account,
      (current) => {
        const next = applyQuickReplyOp(current, op, randomUUID());
        if (typeof next === 'string') throw new ClientError('badFrame', next);
        return next;
      },
      this.now(),
    );
    await this.audit.record(me.account, `quickReplies.${op.op}`, me.account, { count: replies.length });
    return replies;
  }
}
