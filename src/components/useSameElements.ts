import { useRef } from 'react';

/**
 * `next`, or the array this returned last while `next` holds the same elements. The chat page rebuilds
 * its span and timeline on every change of its session; a change that leaves them as they were (a live
 * message past a detached span) then leaves the list unrendered. That matters beyond the cost: Taro's H5
 * ScrollView writes its scrollTop prop to the element on every render, so rendering the list while the
 * reader has scrolled since the last position it set would move them back there.
 */
export function useSameElements<A extends readonly unknown[]>(next: A): A {
  const kept = useRef(next);
  const last = kept.current;
  if (last !== next && (last.length !== next.length || next.some((x, i) => x !== last[i]))) kept.current = next;
  return kept.current;
}
