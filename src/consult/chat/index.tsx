import { Button, Text, View } from '@tarojs/components';
import Taro, { useDidHide, useDidShow, useRouter } from '@tarojs/taro';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CardKind } from '../../../types/cards';
import type { ComposedCardKind } from '../../chat/cardDraft';
import { CARD_KINDS } from '../../../types/cards';
import type { MediaKind } from '../../../types/media';
import type { ConsultationAction, Message } from '../../../types/message';
import { chat } from '../../chat';
import { askConsent, loadReminders, templatesOf } from '../../chat/reminders';
import { NO_INPUT_LINE, noInputReason } from '../../chat/errorText';
import { CardComposer } from '../../components/composer/CardComposer';
import type { ComposerAction } from '../../components/composer/MorePanel';
import { ConnectionBanner } from '../../components/ConnectionBanner';
import { ConsultationBar } from '../../components/ConsultationBar';
import { InputBar } from '../../components/InputBar';
import { PageHeader } from '../../components/PageHeader';
import { guardCapture } from '../../platform/capture';
import { copyText } from '../../platform/clipboard';
import { CancelledError, PLATFORM } from '../../platform/env';
import type { LocalFile } from '../../platform/files';
import { pickers } from '../../platform/pick';
import { MessageList } from '../../components/MessageList';
import { EncounterCardsContext } from '../../components/encounter/context';
import { EncounterGate, EncounterHeader, RateEntry } from '../../components/encounter/EncounterHeader';
import { QuickReplies } from '../../components/encounter/QuickReplies';
import { useEncounter } from '../../components/encounter/useEncounter';
import { useQuickReplies } from '../../components/encounter/useQuickReplies';
import { useEncounterCards } from '../../components/encounter/useEncounterCards';
import { useChatSession } from '../../components/useChatSession';
import { useMessageSpan } from '../../components/useMessageSpan';
import { useSameElements } from '../../components/useSameElements';
import { SearchPanel } from '../../components/SearchPanel';
import { usePageStyle } from '../../components/usePageStyle';
import { consultationView } from '../../render/consultation';
import { patientStep, transferredAway } from '../../render/encounter';
import { presenceText } from '../../render/time';
import type { MessageAction, QuoteView } from '../../render/timeline';
import { buildTimeline, localQuote, messageActions, quoteView, TimelineCache } from '../../render/timeline';
import { chatStore, useChat } from '../../store';
// The encounter's parts in this page (cards, panel, gate, 常用语, the queue) are styled there.
import '../../components/encounter/encounter.css';
import './index.css';

const CARD_ACTIONS: Record<CardKind, { label: string; icon: string }> = {
  prescription: { label: '处方', icon: '💊' },
  labRequest: { label: '检查单', icon: '🧪' },
  followUp: { label: '复诊提醒', icon: '📅' },
  summary: { label: '问诊小结', icon: '📋' },
};

/** A dismissed picker is no error; anything else is said in a toast. */
function report(e: unknown): void {
  if (e instanceof CancelledError) return;
  void Taro.showToast({ title: e instanceof Error ? e.message : '操作失败', icon: 'none' });
}

export default function ChatPage() {
  useChatSession();
  const { params } = useRouter();
  const sessionId = decodeURIComponent(params.id ?? '');
  const session = useChat((s) => s.sessions.get(sessionId));
  const loaded = useChat((s) => s.messages.get(sessionId));
  const me = useChat((s) => s.me);
  const synced = useChat((s) => s.connection === 'synced');
  const signedOut = useChat((s) => (s.connection === 'authFailed' || s.connection === 'kicked' ? s.connection : undefined));
  const typing = useChat((s) => Boolean(s.typing[sessionId]));
  // No longer this person's since it was opened (the store kept only its id): not one still loading.
  const dropped = useChat((s) => s.dropped[sessionId] !== undefined);
  const [composing, setComposing] = useState<ComposedCardKind>();
  const [quoting, setQuoting] = useState<Message>();
  const [searching, setSearching] = useState(false);
  const [jumpTo, setJumpTo] = useState<{ key: string }>();
  const draft = useChat((s) => s.drafts[sessionId]);
  const look = usePageStyle();

  // Medical conversations stay out of screenshots and recordings where the platform allows it.
  useDidShow(() => guardCapture(true));
  useDidHide(() => guardCapture(false));
  useEffect(() => () => guardCapture(false), []);

  useEffect(() => {
    chat().openSessionAsRead(sessionId);
    return () => chat().leaveSession(sessionId);
  }, [sessionId]);
  // On screen only while the page shows: under a list opened on top of it (a chat opened from the SMS
  // link), or with the app in the background, what arrives stays unread and no 已读 goes to the sender.
  const [shown, setShown] = useState(true);
  useDidShow(() => {
    setShown(true);
    chat().openSessionAsRead(sessionId);
  });
  useDidHide(() => {
    setShown(false);
    chat().leaveSession(sessionId);
  });

  // Someone else's consultation (a forwarded or mistyped address): the server refuses its history.
  const [notMember, setNotMember] = useState(false);
  useEffect(() => {
    if (!synced || !shown) return;
    let current = true;
    void chat()
      .enterSession(sessionId)
      .then((open) => current && setNotMember(!open));
    return () => {
      current = false;
    };
  }, [synced, shown, sessionId]);

  // Mini programs have no header of ours: the typing hint goes into the navigation bar, as WeChat does.
  useEffect(() => {
    // A platform that refuses (the page no longer on top) keeps the title it had: nothing to tell anyone.
    if (session?.name) Taro.setNavigationBarTitle({ title: typing ? '对方正在输入…' : session.name }).catch(() => undefined);
  }, [session?.name, typing]);

  // The list is built from a span of the held messages, and the items of the messages that did not
  // change are kept from one build to the next (a page opens one chat): a live message costs the span.
  const span = useMessageSpan(sessionId, loaded);
  const { reach } = span;
  const [timelineCache] = useState(() => new TimelineCache());
  // Unchanged items are the same array: the list (memoised) does not render for a change past a detached span.
  const items = useSameElements(
    useMemo(
      () =>
        buildTimeline(
          span.msgs,
          me?.account,
          Date.now(),
          session?.memberReads,
          session?.peerDeliveredSeq,
          timelineCache,
          (idClient) => loaded?.byId.get(idClient),
        ),
      [span.msgs, loaded, me?.account, session?.memberReads, session?.peerDeliveredSeq, timelineCache],
    ),
  );

  // The composer shows the session's draft: typing, a 常用语 and a recalled message to re-edit all
  // change it, and a draft restored from storage after the page opened appears unless typing came first.
  const onTextChange = useCallback((text: string) => chat().setDraft(sessionId, text), [sessionId]);
  /** Brings a message into the list (older pages as needed) and scrolls to it. */
  const jump = useCallback(
    async (idClient: string, seq: number) => {
      const held = await chat().loadUntil(sessionId, seq);
      const target = held ? chatStore.getState().messages.get(sessionId)?.byId.get(idClient) : undefined;
      if (!target) return void Taro.showToast({ title: '原消息已不存在', icon: 'none' });
      reach(target);
      setJumpTo({ key: idClient });
    },
    [sessionId, reach],
  );
  const onQuoteTap = useCallback((q: QuoteView) => void jump(q.idClient, q.seq), [jump]);
  // Opened from a search hit on the sessions list.
  const jumped = useRef(false);
  useEffect(() => {
    if (!synced || !params.jump || !params.seq || jumped.current) return;
    jumped.current = true;
    void jump(decodeURIComponent(params.jump), Number(params.seq));
  }, [synced, params.jump, params.seq, jump]);
  const held = useCallback(() => loaded?.order.toArray() ?? [], [loaded]);
  const onSearchPick = useCallback(
    (m: Message) => {
      setSearching(false);
      if (m.seq !== undefined) void jump(m.idClient, m.seq);
    },
    [jump],
  );

  // Issue 17: the doctor's identity or the patient panel, the prescriptions' review states, 常用语.
  const { view: encounter } = useEncounter(sessionId);
  const step = patientStep(session?.consultation, me?.role);
  const readOnly = transferredAway(session, me);
  const quick = useQuickReplies(me?.role === 'doctor');
  // What the cards in the list show: a card's review and correction come after it, past a detached span too.
  const cards = useEncounterCards(span.throughNewest, me?.role, sessionId);

  const consultation = useMemo(
    () => (session?.consultation && me ? consultationView(session.consultation, me.role, Date.now()) : undefined),
    [session?.consultation, me],
  );
  const changeConsultation = useCallback(
    (action: Parameters<ReturnType<typeof chat>['changeConsultation']>[1]) => chat().changeConsultation(sessionId, action),
    [sessionId],
  );

  // Reminders once this person has left: consent is asked on the taps they expect it on (the patient's
  // first 发送 here, the doctor's 接诊), at most once per visit, only for templates with no notice left.
  const consent = useRef<{ ask: string[]; asked: boolean }>({ ask: [], asked: false });
  useEffect(() => {
    if (PLATFORM === 'h5' || !synced) return;
    loadReminders()
      .then((s) => (consent.current.ask = s.enabled ? templatesOf(s, true) : []))
      .catch(() => undefined);
  }, [synced]);
  const askOnce = useCallback(() => {
    if (consent.current.asked || !consent.current.ask.length) return;
    consent.current.asked = true;
    void askConsent(consent.current.ask);
  }, []);

  const send = useCallback(
    (text: string) => {
      if (me?.role === 'patient') askOnce();
      const replyTo = quoting?.seq !== undefined ? { idClient: quoting.idClient, seq: quoting.seq } : undefined;
      setQuoting(undefined);
      void chat().sendText(sessionId, text, replyTo);
    },
    [sessionId, me?.role, askOnce, quoting],
  );
  const quoteLine = useMemo(() => {
    if (!quoting) return undefined;
    const q = quoteView(localQuote(quoting), me?.account, false);
    return `${q.name}：${q.text}`;
  }, [quoting, me?.account]);
  const onConsultationTap = useCallback(
    (action: ConsultationAction) => {
      if (action === 'accept') askOnce();
    },
    [askOnce],
  );
  const sendVoice = useCallback((clip: LocalFile) => void chat().sendFile(sessionId, 'audio', clip), [sessionId]);
  const actions = useMemo((): ComposerAction[] => {
    // Several chosen files go out one after another, in the order chosen.
    const files = (kind: MediaKind, pick: () => Promise<LocalFile | LocalFile[]>) => () =>
      void pick()
        .then(async (chosen) => {
          for (const f of [chosen].flat()) await chat().sendFile(sessionId, kind, f);
        })
        .catch(report);
    const list: ComposerAction[] = [
      { key: 'image', label: '照片', icon: '🖼️', run: files('image', () => pickers.images('album')) },
      { key: 'camera', label: '拍摄', icon: '📷', run: files('image', () => pickers.images('camera')) },
      { key: 'video', label: '视频', icon: '🎬', run: files('video', () => pickers.video()) },
      ...(pickers.canPickFile ? [{ key: 'file', label: '文件', icon: '📄', run: files('file', () => pickers.file()) }] : []),
      ...(pickers.canPickLocation
        ? [
            {
              key: 'location',
              label: '位置',
              icon: '📍',
              run: () => void pickers.location().then((geo) => chat().sendLocation(sessionId, geo)).catch(report),
            },
          ]
        : []),
    ];
    if (me?.role === 'doctor') {
      // A prescription is signed by the hospital and reviewed by a pharmacist (issue 17): its own page.
      const rx = `/consult/prescribe/index?id=${encodeURIComponent(sessionId)}`;
      for (const kind of CARD_KINDS) {
        const run = kind === 'prescription' ? () => void Taro.navigateTo({ url: rx }) : () => setComposing(kind);
        list.push({ key: kind, ...CARD_ACTIONS[kind], run });
      }
      const transfer = `/consult/transfer/index?id=${encodeURIComponent(sessionId)}`;
      list.push({ key: 'transfer', label: '转诊', icon: '↪️', run: () => void Taro.navigateTo({ url: transfer }) });
    }
    // Search the chat: in this panel on every platform (mini programs have no header of ours).
    list.push({ key: 'search', label: '搜索', icon: '🔍', run: () => setSearching(true) });
    return list;
  }, [sessionId, me?.role]);
  const resend = useCallback((idClient: string) => void chat().resend(sessionId, idClient), [sessionId]);
  const onTyping = useCallback(() => chat().typing(sessionId), [sessionId]);
  // Where a message could be forwarded: the user's other sessions (the server refuses any whose
  // members could not already read it). An action sheet holds six items.
  const sessions = useChat((s) => s.sessions);
  const targets = useMemo(() => [...sessions.values()].filter((t) => t.id !== sessionId).slice(0, 6), [sessions, sessionId]);
  // Read when pressed: the list's items stay memoised while the sessions (and so the targets) change.
  const forwardTargets = useRef(targets);
  forwardTargets.current = targets;
  const onLongPress = useCallback(
    (msg: Message) => {
      const targets = forwardTargets.current;
      const actions = messageActions(msg, me?.account, Date.now(), targets.length > 0);
      if (!actions.length) return;
      const label: Record<MessageAction, string> = { copy: '复制', quote: '引用', forward: '转发', recall: '撤回', resend: '重发', delete: '删除' };
      const toast = (error: string | undefined, done?: string) =>
        error ? Taro.showToast({ title: error, icon: 'none' }) : done ? Taro.showToast({ title: done, icon: 'success' }) : undefined;
      Taro.showActionSheet({ itemList: actions.map((a) => label[a]) })
        .then(async ({ tapIndex }) => {
          const action = actions[tapIndex];
          if (action === 'copy') await copyText(msg.body).catch((e: Error) => toast(e.message));
          if (action === 'quote') setQuoting(msg);
          if (action === 'resend') await chat().resend(sessionId, msg.idClient);
          if (action === 'delete') chat().discard(sessionId, msg.idClient);
          if (action === 'recall') await toast(await chat().recall(sessionId, msg.idClient));
          if (action === 'forward') {
            const { tapIndex: to } = await Taro.showActionSheet({ itemList: targets.map((t) => `转发给 ${t.name}`) });
            await toast(await chat().forward(sessionId, msg.idClient, targets[to].id), '已转发');
          }
        })
        // Dismissing a sheet rejects; nothing to do.
        .catch(() => undefined);
    },
    [sessionId, me?.account],
  );
  // A chat opened straight from an SMS link has no page below it to go back to: the list opens on top,
  // so that the browser's back (H5) or the platform's returns to this chat instead of leaving the app.
  const toList = useCallback(() => {
    if (Taro.getCurrentPages().length > 1) void Taro.navigateBack();
    else void Taro.navigateTo({ url: '/consult/sessions/index' });
  }, []);
  const noInput = noInputReason(signedOut, dropped, notMember);
  // What the page fetched of a dropped consultation (the panel, the doctor's identity) goes with it.
  const shownEncounter = dropped ? undefined : encounter;

  return (
    <View className={`chat ${look.className}`} style={look.style}>
      <PageHeader back='我的问诊' onBack={toList} title={session?.name}>
        {typing && <Text className='chat-typing'>对方正在输入…</Text>}
      </PageHeader>
      {me?.role === 'patient' && session?.presence && (
        <View className={`chat-presence${session.presence.online ? ' online' : ''}`}>
          <Text>{presenceText(session.presence, Date.now())}</Text>
        </View>
      )}
      <ConnectionBanner />
      {consultation && !readOnly && <ConsultationBar view={consultation} onAction={changeConsultation} onTap={onConsultationTap} />}
      <EncounterHeader role={me?.role} encounter={shownEncounter} />
      <RateEntry sessionId={sessionId} consultation={session?.consultation} role={me?.role} encounter={shownEncounter} />
      <EncounterCardsContext.Provider value={cards}>
      <MessageList
        items={items}
        showNick={session?.scene === 'team' && !session.consultation}
        onResend={resend}
        onLoadOlder={span.older}
        detached={span.detached}
        onLoadNewer={span.newer}
        onLatest={span.latest}
        onLongPress={onLongPress}
        onReedit={onTextChange}
        onQuoteTap={onQuoteTap}
        jumpTo={jumpTo}
      />
      </EncounterCardsContext.Provider>
      {readOnly ? (
        <View className='consultation-ended transferred-away'>
          <Text>本次问诊已转诊给其他医生，您可查看转诊前的记录</Text>
        </View>
      ) : noInput ? (
        <View className={`consultation-ended no-input-${noInput}${noInput === signedOut ? ' signed-out' : ''}`}>
          <Text>{NO_INPUT_LINE[noInput]}</Text>
          {(noInput === 'notMember' || noInput === 'dropped') && (
            <Button className='chat-to-list' size='mini' onClick={toList}>
              返回我的问诊
            </Button>
          )}
        </View>
      ) : step === 'identity' || step === 'consent' ? (
        <EncounterGate sessionId={sessionId} consultation={session?.consultation} role={me?.role} />
      ) : consultation?.closedReason ? (
        <View className='consultation-ended'>
          <Text>{consultation.closedReason}</Text>
        </View>
      ) : (
        <>
        {step === 'intake' && <EncounterGate sessionId={sessionId} consultation={session?.consultation} role={me?.role} />}
        {me?.role === 'doctor' && <QuickReplies replies={quick.replies} onPick={onTextChange} />}
        <InputBar
          onSend={send}
          disabled={!me}
          onTyping={onTyping}
          text={draft ?? ''}
          onTextChange={onTextChange}
          actions={actions}
          onVoice={sendVoice}
          placeholder={me?.role === 'doctor' ? '回复患者…' : '请描述您的症状或问题…'}
          quote={quoteLine}
          onCancelQuote={() => setQuoting(undefined)}
        />
        </>
      )}
      {searching && !dropped && <SearchPanel sessionId={sessionId} held={held} onPick={onSearchPick} onClose={() => setSearching(false)} />}
      {composing && !dropped && (
        <CardComposer
          kind={composing}
          onClose={() => setComposing(undefined)}
          onSubmit={(draft) => {
            setComposing(undefined);
            void chat().sendCard(sessionId, draft);
          }}
        />
      )}
    </View>
  );
}
