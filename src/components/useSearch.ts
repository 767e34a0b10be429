import { useCallback, useMemo, useRef, useState } from 'react';
import type { Message, MessageType, SessionSummary } from '../../types/message';
import { chat } from '../chat';
import { mergeHits, normalizeQuery, searchHeld } from '../render/search';

const PAGE = 20;
const NO_SESSIONS: SessionSummary[] = [];

/**
 * One search box's state: held matches as the person types, the server's once they confirm (or pick
 * a type), more pages on request. `sessionId` undefined: every consultation the person may read.
 * `held` lists the messages held here; it is called only while there is a query, so that a new
 * message does not cost a walk over every message held while nobody searches.
 */
export function useSearch(sessionId: string | undefined, held: () => readonly Message[]) {
  const [text, setText] = useState('');
  const [types, setTypes] = useState<MessageType[]>([]);
  const [server, setServer] = useState<{ key: string; hits: Message[]; next?: string; sessions?: SessionSummary[] }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const query = useMemo(() => normalizeQuery({ text, types }), [text, types]);
  const key = query ? JSON.stringify(query) : '';
  const local = useMemo(() => (query ? searchHeld(held(), query) : []), [held, query]);
  const current = server?.key === key ? server : undefined;
  const hits = useMemo(() => mergeHits(local, current?.hits ?? []), [local, current]);
  // Answers to an older query that arrive late are dropped.
  const latest = useRef('');

  const run = useCallback(
    async (q = query, more = false) => {
      if (!q) return;
      const k = JSON.stringify(q);
      latest.current = k;
      setBusy(true);
      setError(undefined);
      try {
        const before = more && server?.key === k ? server.next : undefined;
        const page = await chat().search({
          ...(sessionId ? { sessionId } : {}),
          ...(q.text ? { text: q.text } : {}),
          ...(q.types.length ? { types: [...q.types] } : {}),
          ...(before ? { before } : {}),
          limit: PAGE,
        });
        if (latest.current !== k) return;
        setServer((was) => {
          const same = more && was?.key === k;
          // Consultations by name come with the first page only.
          const sessions = same ? was.sessions : page.sessions;
          return { key: k, hits: [...(same ? was.hits : []), ...page.hits], ...(page.next ? { next: page.next } : {}), ...(sessions ? { sessions } : {}) };
        });
      } catch (e) {
        if (latest.current === k) setError(e instanceof Error ? e.message : '搜索失败');
      } finally {
        if (latest.current === k) setBusy(false);
      }
    },
    [query, server, sessionId],
  );

  const pickTypes = useCallback(
    (next: MessageType[]) => {
      setTypes(next);
      void run(normalizeQuery({ text, types: next }));
    },
    [run, text],
  );

  return {
    text,
    setText,
    types,
    pickTypes,
    query,
    hits,
    /** Consultations the server found by their patient's name (a doctor's search across consultations). */
    sessions: current?.sessions ?? NO_SESSIONS,
    /** The server answered this query (an empty list then means nothing anywhere). */
    answered: current !== undefined,
    canLoadMore: Boolean(current?.next),
    search: () => void run(),
    loadMore: () => void run(query, true),
    busy,
    error,
  };
}
