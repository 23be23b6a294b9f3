import { createHash, hash as oneShotHash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 (section 2.1) Merkle tree over SHA-256, for the tamper-evident audit log.
 *
 * Notation follows RFC 9162: D[b:e] are the leaves with indices b .. e-1, MTH(D[b:e]) is the
 * Merkle Tree Hash of that list, and k is the largest power of two strictly smaller than the
 * list's length (the split point of the recursion).
 *
 * Sizes and indices are JavaScript numbers and must be safe integers (< 2^53): every bit
 * operation below is done with arithmetic (`% 2`, `/ 2`, `* 2`), never with 32-bit operators, so
 * trees beyond 2^32 leaves work (the leaf hashes of such a tree can of course not all be in memory,
 * but an anchored source whose frontier stands for most of them can).
 */

/** Size in bytes of every hash in the tree. */
export const HASH_SIZE = 32;

/**
 * One scratch buffer for the prefixed input: a one-shot hash over it costs about half of a
 * createHash().update().update().digest() chain, and verification hashes every leaf.
 */
let scratch = Buffer.alloc(256);

function prefixedHash(prefix: number, first: Uint8Array, second?: Uint8Array): Buffer {
  const length = 1 + first.length + (second?.length ?? 0);
  if (length > scratch.length) scratch = Buffer.alloc(Math.max(length, scratch.length * 2));
  scratch[0] = prefix;
  scratch.set(first, 1);
  if (second) scratch.set(second, 1 + first.length);
  return oneShotHash('sha256', scratch.subarray(0, length), 'buffer');
}

/** MTH({}) = SHA-256 of the empty string. Treat as read-only; functions here return copies of it. */
export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(data: Uint8Array): Buffer {
  return prefixedHash(0x00, data);
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return prefixedHash(0x01, left, right);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic on sizes (safe integers; no 32-bit bit operators)

function isSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  let m = n;
  while (m % 2 === 0) m /= 2;
  return m === 1;
}

/** The largest power of two strictly smaller than n (n >= 2): the RFC's split point k. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function popcount(n: number): number {
  let count = 0;
  for (let m = n; m > 0; m = half(m)) if (isOdd(m)) count++;
  return count;
}

/** The ranges [begin, end) of the frontier nodes of a tree of `size` leaves, largest (leftmost) first. */
function frontierRanges(size: number): Array<{ begin: number; end: number }> {
  let p = 1;
  while (p * 2 <= size) p *= 2;
  const ranges: Array<{ begin: number; end: number }> = [];
  let begin = 0;
  for (let rest = size; rest > 0; p /= 2) {
    if (rest >= p) {
      ranges.push({ begin, end: begin + p });
      begin += p;
      rest -= p;
    }
  }
  return ranges;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function assertHash(value: unknown, what: string): asserts value is Uint8Array {
  if (!isHash(value)) throw new TypeError(`${what} must be a ${HASH_SIZE}-byte hash`);
}

function assertSize(value: unknown, what: string): asserts value is number {
  if (!isSize(value)) {
    throw new RangeError(`${what} must be a non-negative safe integer, got ${String(value)}`);
  }
}

/**
 * Appends one leaf hash to a stack of frontier nodes (largest first) covering `count` leaves:
 * each trailing set bit of `count` is a subtree of the same size as the one being built, merged
 * with it. Amortized O(1) hashes, O(log n) worst case.
 */
function pushLeaf(stack: Buffer[], count: number, hash: Buffer): void {
  let node = hash;
  for (let c = count; isOdd(c); c = (c - 1) / 2) node = nodeHash(stack.pop()!, node);
  stack.push(node);
}

/**
 * Folds frontier nodes right to left: the RFC root of the unbalanced tree they cover. May return
 * one of the given buffers (or EMPTY_ROOT) itself: exported functions copy before returning.
 */
function foldRoot(stack: readonly Buffer[]): Buffer {
  const last = stack.length - 1;
  if (last < 0) return EMPTY_ROOT;
  let root = stack[last]!;
  for (let i = last - 1; i >= 0; i--) root = nodeHash(stack[i]!, root);
  return root;
}

// ---------------------------------------------------------------------------------------------
// Frontier (compact range of [0, size))

export interface MerkleFrontierJSON {
  size: number;
  /** Base64 of each frontier node, largest (leftmost) first. */
  nodes: string[];
}

/**
 * The compact range of [0, size): the roots of the maximal aligned perfect subtrees that cover the
 * leaves, largest (leftmost) first, one per set bit of `size`. It is all that is needed to append
 * further leaves and to compute the root, and it is what remains of the leaves a retention policy
 * removed (see {@link LeafSource}).
 */
export class MerkleFrontier {
  #size: number;
  #nodes: Buffer[];

  private constructor(size: number, nodes: Buffer[]) {
    this.#size = size;
    this.#nodes = nodes;
  }

  static empty(): MerkleFrontier {
    return new MerkleFrontier(0, []);
  }

  /** Number of leaves covered. */
  get size(): number {
    return this.#size;
  }

  /** The frontier nodes, largest (leftmost) first. Do not mutate the buffers. */
  get nodes(): readonly Buffer[] {
    return this.#nodes;
  }

  /** Appends a leaf hash (as made by {@link leafHash}); O(1) amortized, O(log n) worst case. */
  append(hash: Buffer): void {
    assertHash(hash, 'Leaf hash');
    if (this.#size >= Number.MAX_SAFE_INTEGER) {
      throw new RangeError('Merkle frontier is full (2^53 - 1 leaves)');
    }
    pushLeaf(this.#nodes, this.#size, Buffer.from(hash));
    this.#size += 1;
  }

  /** MTH of the covered leaves (EMPTY_ROOT for size 0). */
  root(): Buffer {
    return Buffer.from(foldRoot(this.#nodes));
  }

  clone(): MerkleFrontier {
    return new MerkleFrontier(
      this.#size,
      this.#nodes.map((node) => Buffer.from(node)),
    );
  }

  toJSON(): MerkleFrontierJSON {
    return { size: this.#size, nodes: this.#nodes.map((node) => node.toString('base64')) };
  }

  /** Parses {@link toJSON} output; throws on anything malformed. */
  static fromJSON(json: unknown): MerkleFrontier {
    if (typeof json !== 'object' || json === null) {
      throw new TypeError('Merkle frontier JSON must be an object');
    }
    const { size, nodes } = json as { size?: unknown; nodes?: unknown };
    if (!isSize(size)) throw new RangeError('Merkle frontier JSON: size must be a non-negative safe integer');
    if (!Array.isArray(nodes)) throw new TypeError('Merkle frontier JSON: nodes must be an array');
    const expected = popcount(size);
    if (nodes.length !== expected) {
      throw new RangeError(
        `Merkle frontier JSON: a tree of ${size} leaves has ${expected} frontier nodes, got ${nodes.length}`,
      );
    }
    const decoded = nodes.map((node, i) => {
      const bytes = typeof node === 'string' ? Buffer.from(node, 'base64') : null;
      if (bytes === null || bytes.length !== HASH_SIZE || bytes.toString('base64') !== node) {
        throw new TypeError(`Merkle frontier JSON: node ${i} is not the base64 of a ${HASH_SIZE}-byte hash`);
      }
      return bytes;
    });
    return new MerkleFrontier(size, decoded);
  }
}

// ---------------------------------------------------------------------------------------------
// Leaf sources whose prefix may have been removed

/**
 * The leaves of a log whose first `anchor.size` leaves may have been removed (retention): what is
 * left of them is the anchor, the frontier of [0, anchor.size). Leaf hashes of indices
 * anchor.size .. anchor.size + leaves.length - 1 are in `leaves`.
 */
export interface LeafSource {
  /** Frontier of [0, anchor.size): those leaves are gone. */
  anchor: MerkleFrontier;
  /** Leaf hashes for indices anchor.size .. anchor.size + leaves.length - 1. */
  leaves: readonly Buffer[];
}

/** Thrown when a hash needs leaves that were removed and is not a node of the retained frontier. */
export class UnavailableNodeError extends Error {
  readonly begin: number;
  readonly end: number;
  readonly anchorSize: number;

  constructor(begin: number, end: number, anchorSize: number, message?: string) {
    super(
      message ??
        `Merkle node [${begin}, ${end}) cannot be derived: the leaves before ${anchorSize} were removed ` +
          'and it is not a node of the retained frontier',
    );
    this.name = 'UnavailableNodeError';
    this.begin = begin;
    this.end = end;
    this.anchorSize = anchorSize;
  }
}

/** Number of leaves of the source: anchor.size + leaves.length. */
export function sourceSize(src: LeafSource): number {
  return src.anchor.size + src.leaves.length;
}

/*
 * Which hashes survive the removal of the prefix [0, A) (A = anchor.size)?
 *
 * Call a range [b, e) an RFC range if it is the whole tree [0, n) or a half produced by splitting
 * an RFC range at its k. Every RFC range is aligned: b is a multiple of the smallest power of two
 * >= e - b. (True for [0, n). When [b, e) of length n >= 2 is split, that power of two is 2k, so
 * the left half [b, b+k) starts at a multiple of 2k, and the right half [b+k, e), of length <= k,
 * starts at a multiple of k.) In particular, when an RFC range is split at k, b is a multiple of 2k.
 *
 * Lemma. Every RFC range [b, e) with e > A is computable from the frontier of A plus the leaves
 * from A on.
 *   - If b >= A all its leaves are retained.
 *   - Otherwise b < A < e, so n = e - b >= 2; split at k. The right half [b+k, e) ends at e > A:
 *     induction. If b + k > A, the left half [b, b+k) also ends after A: induction. If b + k <= A,
 *     then A lies in [b+k, e) which is inside [b+k, b+2k) (n <= 2k), and b is a multiple of 2k;
 *     so A in binary is b's bits, then the bit of value k, then A - b - k < k. The frontier of A
 *     takes one aligned block per set bit from the top: blocks covering [0, b), then exactly
 *     [b, b+k). So the left half is a frontier node.
 *
 * What proofs need:
 *   - Inclusion proof of leaf m >= A in a tree of size n: PATH walks RFC ranges [b, e) that contain
 *     m (so e > m >= A); every sibling it records is a half of such a range. A right sibling
 *     starts after m, so all its leaves are retained; a left sibling is the left half of a range
 *     ending after A, which the lemma covers (induction case or frontier node).
 *   - Consistency proof first -> second with A <= first < second: SUBPROOF walks RFC ranges
 *     [b, e) with b < first < e; the recorded right halves [b+k, e) start at >= first >= A; the
 *     recorded left halves are halves of ranges ending after A (lemma). The final "head" node
 *     [b, first) is only recorded after the walk went right; it was reached by going left into
 *     [b, b+k) with b a multiple of 2k and b + k = first, i.e. it is the smallest frontier node of
 *     `first`. If first > A the lemma covers it (e = first > A); if first = A it is a frontier
 *     node of the anchor.
 *   - rootAt(t) for t >= A: [0, t) is an RFC range; for t > A the lemma applies, for t = A it is
 *     the fold of the anchor's frontier (the recursion below splits it into exactly those nodes).
 *
 * Conversely, a perfect aligned range that lies inside [0, A) and is not a frontier node sits
 * strictly inside one (aligned blocks nest) and cannot be derived: asking for it throws
 * UnavailableNodeError.
 */

/** Computes MTH(D[b:e]) of a source, from the retained leaves and the anchor's frontier nodes. */
class SourceHasher {
  readonly anchorSize: number;
  readonly size: number;
  readonly #leaves: readonly Buffer[];
  /** Frontier nodes of the anchor keyed by their first leaf index. */
  readonly #frontier = new Map<number, { end: number; hash: Buffer }>();

  constructor(src: LeafSource) {
    if (!(src?.anchor instanceof MerkleFrontier)) {
      throw new TypeError('Leaf source anchor must be a MerkleFrontier');
    }
    if (!Array.isArray(src.leaves)) throw new TypeError('Leaf source leaves must be an array');
    this.anchorSize = src.anchor.size;
    this.size = sourceSize(src);
    if (!isSize(this.size)) throw new RangeError('Leaf source is larger than 2^53 - 1 leaves');
    this.#leaves = src.leaves;
    const nodes = src.anchor.nodes;
    frontierRanges(this.anchorSize).forEach(({ begin, end }, i) => {
      this.#frontier.set(begin, { end, hash: nodes[i]! });
    });
  }

  /** MTH(D[b:e]) for 0 <= b < e <= size. */
  hash(b: number, e: number): Buffer {
    if (b >= this.anchorSize) return this.#hashRetained(b - this.anchorSize, e - this.anchorSize);
    const node = this.#frontier.get(b);
    if (node !== undefined && node.end === e) return node.hash;
    const n = e - b;
    // A perfect range wholly inside the removed prefix that is not a frontier node lies strictly
    // inside one: its leaves are gone. (n = 1 is always such a range here.)
    if (e <= this.anchorSize && isPowerOfTwo(n)) throw new UnavailableNodeError(b, e, this.anchorSize);
    const k = splitPoint(n);
    return nodeHash(this.hash(b, b + k), this.hash(b + k, e));
  }

  /** MTH of retained leaves [from, to) (indices into `leaves`), in one left-to-right pass. */
  #hashRetained(from: number, to: number): Buffer {
    const stack: Buffer[] = [];
    for (let i = from; i < to; i++) {
      const leaf = this.#leaves[i];
      if (!isHash(leaf)) {
        throw new TypeError(`Leaf source: leaf ${this.anchorSize + i} is not a ${HASH_SIZE}-byte hash`);
      }
      pushLeaf(stack, i - from, Buffer.isBuffer(leaf) ? leaf : Buffer.from(leaf));
    }
    return foldRoot(stack);
  }
}

/**
 * MTH(D[begin:end]) of a source, for 0 <= begin < end <= size. Meant for RFC-shaped subtrees
 * (the whole tree or ranges produced by its recursive split); any range works as long as its
 * leaves are retained. Throws {@link UnavailableNodeError} when the hash needs removed leaves that
 * the anchor's frontier nodes do not stand for.
 */
export function subtreeHash(src: LeafSource, begin: number, end: number): Buffer {
  const hasher = new SourceHasher(src);
  assertSize(begin, 'begin');
  assertSize(end, 'end');
  if (begin >= end || end > hasher.size) {
    throw new RangeError(`Subtree [${begin}, ${end}) is empty or outside the tree of ${hasher.size} leaves`);
  }
  return Buffer.from(hasher.hash(begin, end));
}

/** The root of the tree made of the first `treeSize` leaves, anchor.size <= treeSize <= size. */
export function rootAt(src: LeafSource, treeSize: number): Buffer {
  const hasher = new SourceHasher(src);
  assertSize(treeSize, 'treeSize');
  if (treeSize > hasher.size) {
    throw new RangeError(`Tree size ${treeSize} is larger than the log (${hasher.size} leaves)`);
  }
  if (treeSize === 0) return Buffer.from(EMPTY_ROOT);
  if (treeSize < hasher.anchorSize) {
    throw new UnavailableNodeError(
      0,
      treeSize,
      hasher.anchorSize,
      `Root of tree size ${treeSize} cannot be derived: the leaves before ${hasher.anchorSize} were removed`,
    );
  }
  return Buffer.from(hasher.hash(0, treeSize));
}

/**
 * The inclusion proof (RFC 9162 2.1.3.1 PATH) of leaf `index` in the tree of the first `treeSize`
 * leaves: sibling hashes from the leaf up to the root. The leaf must not be in the removed prefix.
 * Hashes O(treeSize) nodes: each sibling subtree is hashed once.
 */
export function inclusionProof(src: LeafSource, index: number, treeSize: number): Buffer[] {
  const hasher = new SourceHasher(src);
  assertSize(index, 'index');
  assertSize(treeSize, 'treeSize');
  if (treeSize > hasher.size) {
    throw new RangeError(`Tree size ${treeSize} is larger than the log (${hasher.size} leaves)`);
  }
  if (index >= treeSize) throw new RangeError(`Leaf index ${index} is outside a tree of ${treeSize} leaves`);
  if (index < hasher.anchorSize) {
    throw new UnavailableNodeError(
      index,
      index + 1,
      hasher.anchorSize,
      `No inclusion proof for leaf ${index}: the leaves before ${hasher.anchorSize} were removed`,
    );
  }
  const siblings: Buffer[] = [];
  let b = 0;
  let e = treeSize;
  while (e - b > 1) {
    const k = splitPoint(e - b);
    if (index < b + k) {
      siblings.push(hasher.hash(b + k, e));
      e = b + k;
    } else {
      siblings.push(hasher.hash(b, b + k));
      b += k;
    }
  }
  // PATH lists the deepest sibling first; the walk above found them top-down.
  return siblings.reverse().map((node) => Buffer.from(node));
}

/**
 * The consistency proof (RFC 9162 2.1.4.1 SUBPROOF) between the trees of the first `first` and the
 * first `second` leaves. Empty when first = 0 or first = second. Otherwise `first` must not be
 * inside the removed prefix (first >= anchor.size). Hashes O(second) nodes.
 */
export function consistencyProof(src: LeafSource, first: number, second: number): Buffer[] {
  const hasher = new SourceHasher(src);
  assertSize(first, 'first');
  assertSize(second, 'second');
  if (second > hasher.size) {
    throw new RangeError(`Tree size ${second} is larger than the log (${hasher.size} leaves)`);
  }
  if (first > second) throw new RangeError(`First tree size ${first} is larger than the second (${second})`);
  if (first === 0 || first === second) return [];
  if (first < hasher.anchorSize) {
    throw new UnavailableNodeError(
      0,
      first,
      hasher.anchorSize,
      `No consistency proof from tree size ${first}: the leaves before ${hasher.anchorSize} were removed`,
    );
  }

  const recorded: Buffer[] = [];
  let b = 0;
  let e = second;
  let wentRight = false;
  // Invariant: b < first < e.
  while (first !== e) {
    const k = splitPoint(e - b);
    if (first <= b + k) {
      recorded.push(hasher.hash(b + k, e));
      e = b + k;
    } else {
      recorded.push(hasher.hash(b, b + k));
      b += k;
      wentRight = true;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}: the subtree [b, first) is only recorded when it is not
  // the old root itself (which the verifier already has).
  const proof = wentRight ? [hasher.hash(b, e)] : [];
  for (let i = recorded.length - 1; i >= 0; i--) proof.push(recorded[i]!);
  return proof.map((node) => Buffer.from(node));
}

// ---------------------------------------------------------------------------------------------
// Verification (never throws: any malformed input is a failed verification)

/**
 * Verifies an inclusion proof (RFC 9162 2.1.3.2): that `leaf` (a leaf hash) is leaf `index` of
 * the tree of `treeSize` leaves whose root is `root`.
 *
 * `treeSize` must come from the same trusted (signed) checkpoint as `root`: as in the RFC, a proof
 * can also verify for another (index, treeSize) pair whose path has the same shape (e.g. leaf 4 of
 * a 7-leaf tree against the same root "as if" the tree had 8 leaves).
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leaf) || !isHash(root) || !Array.isArray(proof)) return false;
  if (!isSize(index) || !isSize(treeSize) || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (!isHash(p) || sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(r, root);
}

/**
 * Verifies a consistency proof (RFC 9162 2.1.4.2): that the tree of `second` leaves with root
 * `secondRoot` extends the tree of `first` leaves with root `firstRoot`.
 *
 * Cases outside the RFC algorithm (which covers 0 < first < second):
 *   - first = second: valid iff the proof is empty and the roots are equal;
 *   - first = 0: every tree extends the empty tree, so valid iff the proof is empty and firstRoot
 *     is the empty tree's root (a size-0 tree has no other root); secondRoot is not constrained
 *     unless second = 0 too.
 */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isSize(first) || !isSize(second) || first > second) return false;
  if (!isHash(firstRoot) || !isHash(secondRoot) || !Array.isArray(proof) || !proof.every(isHash)) {
    return false;
  }
  if (first === 0) {
    return (
      proof.length === 0 &&
      sameHash(firstRoot, EMPTY_ROOT) &&
      (second > 0 || sameHash(secondRoot, EMPTY_ROOT))
    );
  }
  if (first === second) return proof.length === 0 && sameHash(firstRoot, secondRoot);
  if (proof.length === 0) return false;

  // When the old tree is a perfect subtree its root is the first node of the path.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr = fr;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(fr, firstRoot) && sameHash(sr, secondRoot);
}
