/**
 * A persistent (immutable, structurally shared) map from strings to values: a 32-way hash trie.
 * `set`/`delete` copy only the nodes on one key's path (O(log32 n) arrays of at most 32 slots), so a
 * new version shares everything else with the old one. Iteration is in hash order, not insertion order.
 *
 * Within one store update an `Edit` token lets the nodes made by that update be changed in place (the
 * "transient" of Clojure's maps): a page of twenty messages copies each path once, not twenty times.
 * Nodes owned by an older edit are never changed, so every version handed out stays as it was.
 */

/** The owner of nodes made during one update; a fresh object per update. */
export type Edit = object;

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;
const MAX_SHIFT = 30;

class Leaf<V> {
  constructor(
    readonly k: string,
    readonly h: number,
    public v: V,
  ) {}
}

class Collision<V> {
  constructor(
    readonly h: number,
    public leaves: Leaf<V>[],
    public o: Edit | null,
  ) {}
}

class Branch<V> {
  constructor(
    public a: Array<Slot<V>>,
    public o: Edit | null,
  ) {}
}

type Slot<V> = Leaf<V> | Branch<V> | Collision<V> | undefined;

/** FNV-1a. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const emptySlots = <V>(): Array<Slot<V>> => new Array<Slot<V>>(WIDTH).fill(undefined);

function owned<V>(node: Branch<V>, edit: Edit | null): Branch<V> {
  return edit !== null && node.o === edit ? node : new Branch(node.a.slice(), edit);
}

/** Two leaves that share the path so far, under one new branch (or a collision list). */
function join<V>(a: Leaf<V>, b: Leaf<V>, shift: number, edit: Edit | null): Slot<V> {
  if (a.h === b.h || shift > MAX_SHIFT) return new Collision(a.h, [a, b], edit);
  const node = new Branch(emptySlots<V>(), edit);
  const ia = (a.h >>> shift) & MASK;
  const ib = (b.h >>> shift) & MASK;
  if (ia === ib) node.a[ia] = join(a, b, shift + BITS, edit);
  else {
    node.a[ia] = a;
    node.a[ib] = b;
  }
  return node;
}

interface Change {
  /** +1 when a key was added, -1 when removed, 0 otherwise. */
  delta: number;
}

function setIn<V>(slot: Slot<V>, leaf: Leaf<V>, shift: number, edit: Edit | null, change: Change): Slot<V> {
  if (slot === undefined) {
    change.delta = 1;
    return leaf;
  }
  if (slot instanceof Leaf) {
    if (slot.k === leaf.k) {
      if (slot.v === leaf.v) return slot;
      return leaf;
    }
    change.delta = 1;
    return join(slot, leaf, shift, edit);
  }
  if (slot instanceof Collision) {
    if (slot.h !== leaf.h) {
      // Only reachable below MAX_SHIFT for equal hashes; a different hash cannot land here.
      const node = new Branch(emptySlots<V>(), edit);
      node.a[(slot.h >>> shift) & MASK] = slot;
      return setIn(node, leaf, shift, edit, change);
    }
    const at = slot.leaves.findIndex((l) => l.k === leaf.k);
    const leaves = at >= 0 ? slot.leaves.map((l, i) => (i === at ? leaf : l)) : [...slot.leaves, leaf];
    if (at < 0) change.delta = 1;
    return new Collision(slot.h, leaves, edit);
  }
  const i = (leaf.h >>> shift) & MASK;
  const child = slot.a[i];
  const next = setIn(child, leaf, shift + BITS, edit, change);
  if (next === child) return slot;
  const node = owned(slot, edit);
  node.a[i] = next;
  return node;
}

function deleteIn<V>(slot: Slot<V>, key: string, h: number, shift: number, edit: Edit | null, change: Change): Slot<V> {
  if (slot === undefined) return slot;
  if (slot instanceof Leaf) {
    if (slot.k !== key) return slot;
    change.delta = -1;
    return undefined;
  }
  if (slot instanceof Collision) {
    const leaves = slot.leaves.filter((l) => l.k !== key);
    if (leaves.length === slot.leaves.length) return slot;
    change.delta = -1;
    return leaves.length === 1 ? leaves[0] : new Collision(slot.h, leaves, edit);
  }
  const i = (h >>> shift) & MASK;
  const child = slot.a[i];
  const next = deleteIn(child, key, h, shift + BITS, edit, change);
  if (next === child) return slot;
  const node = owned(slot, edit);
  node.a[i] = next;
  return node;
}

function* walk<V>(slot: Slot<V>): Generator<Leaf<V>> {
  if (slot === undefined) return;
  if (slot instanceof Leaf) yield slot;
  else if (slot instanceof Collision) yield* slot.leaves;
  else for (const child of slot.a) if (child !== undefined) yield* walk(child);
}

export class PMap<V> {
  private constructor(
    private readonly root: Branch<V>,
    readonly size: number,
  ) {}

  static empty<V>(): PMap<V> {
    return new PMap<V>(new Branch(emptySlots<V>(), null), 0);
  }

  static from<V>(entries: Iterable<readonly [string, V]>): PMap<V> {
    const edit: Edit = {};
    let map = PMap.empty<V>();
    for (const [k, v] of entries) map = map.set(k, v, edit);
    return map;
  }

  get(key: string): V | undefined {
    const h = hashOf(key);
    let slot: Slot<V> = this.root;
    let shift = 0;
    while (slot instanceof Branch) {
      slot = slot.a[(h >>> shift) & MASK];
      shift += BITS;
    }
    if (slot === undefined) return undefined;
    if (slot instanceof Leaf) return slot.k === key ? slot.v : undefined;
    return slot.leaves.find((l) => l.k === key)?.v;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** A new map with `key` set (this one unchanged, unless `edit` owns the path: see the file comment). */
  set(key: string, value: V, edit: Edit | null = null): PMap<V> {
    const change: Change = { delta: 0 };
    const root = setIn(this.root, new Leaf(key, hashOf(key), value), 0, edit, change) as Branch<V>;
    if (root === this.root && change.delta === 0 && edit === null) return this;
    return new PMap(root, this.size + change.delta);
  }

  delete(key: string, edit: Edit | null = null): PMap<V> {
    const change: Change = { delta: 0 };
    const root = deleteIn(this.root, key, hashOf(key), 0, edit, change) as Branch<V>;
    if (change.delta === 0) return this;
    return new PMap(root, this.size + change.delta);
  }

  *entries(): Generator<[string, V]> {
    for (const l of walk(this.root)) yield [l.k, l.v];
  }

  *keys(): Generator<string> {
    for (const l of walk(this.root)) yield l.k;
  }

  *values(): Generator<V> {
    for (const l of walk(this.root)) yield l.v;
  }

  [Symbol.iterator](): Generator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string) => void): void {
    for (const l of walk(this.root)) fn(l.v, l.k);
  }

  /** Every inner node of the trie (for tests that check what an update shares with the previous version). */
  nodes(): object[] {
    const out: object[] = [];
    const visit = (n: Slot<V>): void => {
      if (n instanceof Branch) {
        out.push(n);
        n.a.forEach(visit);
      } else if (n instanceof Collision) out.push(n);
    };
    visit(this.root);
    return out;
  }
}
