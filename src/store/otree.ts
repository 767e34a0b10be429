import type { Message } from '../../types/message';
import type { Edit } from './pmap';

/**
 * One session's messages in display order: a persistent B+ tree (leaves of at most 64 messages, inner
 * nodes of at most 32 children, each child's size and first message kept beside it). Inserting,
 * removing or replacing one message copies the nodes on its path only, O(log n), and the new version
 * shares every other node with the old one; `at`, search and the newest message are O(log n) too.
 * Appending at the end (the live case) splits full nodes unevenly so that the tree stays full.
 *
 * Nodes made during one store update (`edit`, see pmap.ts) are changed in place by that update.
 */

const LEAF_MAX = 64;
const INNER_MAX = 32;

class OLeaf {
  constructor(
    public items: Message[],
    public o: Edit | null,
  ) {}
  get n(): number {
    return this.items.length;
  }
}

class OInner {
  constructor(
    public kids: ONode[],
    public mins: Message[],
    public sizes: number[],
    public n: number,
    public o: Edit | null,
  ) {}
}

type ONode = OLeaf | OInner;

const firstOf = (node: ONode): Message => (node instanceof OLeaf ? node.items[0] : node.mins[0]);

function ownLeaf(node: OLeaf, edit: Edit | null): OLeaf {
  return edit !== null && node.o === edit ? node : new OLeaf(node.items.slice(), edit);
}

function ownInner(node: OInner, edit: Edit | null): OInner {
  return edit !== null && node.o === edit
    ? node
    : new OInner(node.kids.slice(), node.mins.slice(), node.sizes.slice(), node.n, edit);
}

/** The child holding position `index` (an index equal to a child's end goes to that child). */
function childAt(node: OInner, index: number): { i: number; rest: number } {
  let rest = index;
  const last = node.kids.length - 1;
  for (let i = 0; i < last; i++) {
    if (rest <= node.sizes[i]) return { i, rest };
    rest -= node.sizes[i];
  }
  return { i: last, rest };
}

/** Inserts; returns the node, or two when it split. */
function insertIn(node: ONode, index: number, msg: Message, edit: Edit | null): ONode | [ONode, ONode] {
  if (node instanceof OLeaf) {
    const leaf = ownLeaf(node, edit);
    leaf.items.splice(index, 0, msg);
    if (leaf.items.length <= LEAF_MAX) return leaf;
    // At the end: keep the full leaf and start a new one, so appends leave full leaves behind.
    const cut = index === leaf.items.length - 1 ? index : leaf.items.length >>> 1;
    return [new OLeaf(leaf.items.slice(0, cut), edit), new OLeaf(leaf.items.slice(cut), edit)];
  }
  const { i, rest } = childAt(node, index);
  const res = insertIn(node.kids[i], rest, msg, edit);
  const inner = ownInner(node, edit);
  inner.n += 1;
  if (!Array.isArray(res)) {
    inner.kids[i] = res;
    inner.mins[i] = firstOf(res);
    inner.sizes[i] = res.n;
    return inner;
  }
  const [a, b] = res;
  inner.kids.splice(i, 1, a, b);
  inner.mins.splice(i, 1, firstOf(a), firstOf(b));
  inner.sizes.splice(i, 1, a.n, b.n);
  if (inner.kids.length <= INNER_MAX) return inner;
  const cut = i + 1 === inner.kids.length - 1 ? i + 1 : inner.kids.length >>> 1;
  const make = (from: number, to?: number): OInner => {
    const sizes = inner.sizes.slice(from, to);
    return new OInner(inner.kids.slice(from, to), inner.mins.slice(from, to), sizes, sizes.reduce((x, y) => x + y, 0), edit);
  };
  return [make(0, cut), make(cut)];
}

/** Removes the message at `index`; returns undefined when the node became empty. */
function removeIn(node: ONode, index: number, edit: Edit | null): ONode | undefined {
  if (node instanceof OLeaf) {
    if (node.items.length === 1) return undefined;
    const leaf = ownLeaf(node, edit);
    leaf.items.splice(index, 1);
    return leaf;
  }
  let { i, rest } = childAt(node, index);
  if (rest === node.sizes[i]) {
    i += 1;
    rest = 0;
  }
  const res = removeIn(node.kids[i], rest, edit);
  if (res === undefined && node.kids.length === 1) return undefined;
  const inner = ownInner(node, edit);
  inner.n -= 1;
  if (res === undefined) {
    inner.kids.splice(i, 1);
    inner.mins.splice(i, 1);
    inner.sizes.splice(i, 1);
  } else {
    inner.kids[i] = res;
    inner.mins[i] = firstOf(res);
    inner.sizes[i] = res.n;
  }
  return inner;
}

function replaceIn(node: ONode, index: number, msg: Message, edit: Edit | null): ONode {
  if (node instanceof OLeaf) {
    const leaf = ownLeaf(node, edit);
    leaf.items[index] = msg;
    return leaf;
  }
  let { i, rest } = childAt(node, index);
  if (rest === node.sizes[i]) {
    i += 1;
    rest = 0;
  }
  const kid = replaceIn(node.kids[i], rest, msg, edit);
  const inner = ownInner(node, edit);
  inner.kids[i] = kid;
  inner.mins[i] = firstOf(kid);
  return inner;
}

function visit(node: ONode, from: number, fn: (m: Message, index: number) => boolean | void, base: number): boolean {
  if (node instanceof OLeaf) {
    for (let j = from; j < node.items.length; j++) if (fn(node.items[j], base + j) === false) return false;
    return true;
  }
  let rest = from;
  let at = base;
  for (let i = 0; i < node.kids.length; i++) {
    if (rest >= node.sizes[i]) {
      rest -= node.sizes[i];
      at += node.sizes[i];
      continue;
    }
    if (!visit(node.kids[i], rest, fn, at)) return false;
    at += node.sizes[i];
    rest = 0;
  }
  return true;
}

export class MessageOrder {
  private constructor(private readonly root: ONode | undefined) {}

  static readonly EMPTY = new MessageOrder(undefined);

  get length(): number {
    return this.root ? this.root.n : 0;
  }

  /** The message at `index`, O(log n). */
  at(index: number): Message | undefined {
    if (!this.root || index < 0 || index >= this.root.n) return undefined;
    let node = this.root;
    let rest = index;
    while (node instanceof OInner) {
      let i = 0;
      while (rest >= node.sizes[i]) rest -= node.sizes[i++];
      node = node.kids[i];
    }
    return node.items[rest];
  }

  last(): Message | undefined {
    return this.at(this.length - 1);
  }

  /**
   * The first index whose message satisfies `pred`, which must be false up to some point and true after
   * it (as "sorts at or after m" is); `length` if none. O(log n) calls of `pred`.
   */
  firstWhere(pred: (m: Message) => boolean): number {
    let node = this.root;
    let base = 0;
    if (!node) return 0;
    while (node instanceof OInner) {
      let lo = 0;
      let hi = node.kids.length - 1;
      // The last child whose first message is not yet past the point (or the first child).
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (pred(node.mins[mid])) hi = mid - 1;
        else lo = mid;
      }
      for (let i = 0; i < lo; i++) base += node.sizes[i];
      node = node.kids[lo];
    }
    let lo = 0;
    let hi = node.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(node.items[mid])) hi = mid;
      else lo = mid + 1;
    }
    return base + lo;
  }

  insert(index: number, msg: Message, edit: Edit | null = null): MessageOrder {
    if (!this.root) return new MessageOrder(new OLeaf([msg], edit));
    const res = insertIn(this.root, index, msg, edit);
    if (!Array.isArray(res)) return new MessageOrder(res);
    const [a, b] = res;
    return new MessageOrder(new OInner([a, b], [firstOf(a), firstOf(b)], [a.n, b.n], a.n + b.n, edit));
  }

  remove(index: number, edit: Edit | null = null): MessageOrder {
    if (!this.root || index < 0 || index >= this.root.n) return this;
    let root = removeIn(this.root, index, edit);
    while (root instanceof OInner && root.kids.length === 1) root = root.kids[0];
    return root ? new MessageOrder(root) : MessageOrder.EMPTY;
  }

  /** Puts `msg` at `index` in place of the message there (same place in the order). */
  replace(index: number, msg: Message, edit: Edit | null = null): MessageOrder {
    if (!this.root || index < 0 || index >= this.root.n) return this;
    return new MessageOrder(replaceIn(this.root, index, msg, edit));
  }

  /** Calls `fn` from `from` on, in order, until it returns false. */
  forEachFrom(from: number, fn: (m: Message, index: number) => boolean | void): void {
    if (this.root && from < this.root.n) visit(this.root, Math.max(0, from), fn, 0);
  }

  toArray(): Message[] {
    const out: Message[] = [];
    this.forEachFrom(0, (m) => void out.push(m));
    return out;
  }

  /** The messages from `start` up to (not including) `end`. */
  slice(start = 0, end = this.length): Message[] {
    const out: Message[] = [];
    if (end <= start) return out;
    this.forEachFrom(start, (m, i) => {
      if (i >= end) return false;
      out.push(m);
    });
    return out;
  }

  map<T>(fn: (m: Message, index: number) => T): T[] {
    const out: T[] = [];
    this.forEachFrom(0, (m, i) => void out.push(fn(m, i)));
    return out;
  }

  [Symbol.iterator](): Iterator<Message> {
    return this.toArray()[Symbol.iterator]();
  }

  /** Every node of the tree (for tests that check what an update shares with the previous version). */
  nodes(): object[] {
    const out: object[] = [];
    const walk = (n: ONode): void => {
      out.push(n);
      if (n instanceof OInner) n.kids.forEach(walk);
    };
    if (this.root) walk(this.root);
    return out;
  }
}
