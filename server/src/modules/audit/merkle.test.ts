import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  type LeafSource,
  leafHash,
  MerkleFrontier,
  nodeHash,
  rootAt,
  sourceSize,
  subtreeHash,
  UnavailableNodeError,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const hexes = (list: readonly Buffer[]): string[] => list.map((b) => b.toString('hex'));

/*
 * Known-answer vectors of the RFC 6962 test data of the Certificate Transparency reference
 * implementation: google/certificate-transparency cpp/merkletree/merkle_tree_test.cc (kInputs,
 * kSHA256Roots, kSHA256Paths, kSHA256Proofs), carried over unchanged into
 * transparency-dev/merkle proof/verify_test.go (which adds the 6 -> 7 consistency proof) and
 * testonly/constants.go (NodeHashes, CompactTrees). The CT paths number leaves from 1; they are
 * converted to 0-based indices below.
 */
const CT_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(hex);

const CT_EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Roots of the trees of the first 1 .. 8 inputs. */
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** Hashes of every perfect subtree of the 8-leaf tree: [level][index within the level]. */
const CT_NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

/** [0-based leaf index, tree size, audit path] (kSHA256Paths without the invalid {0, 0} entry). */
const CT_PATHS: Array<[number, number, string[]]> = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

/** [first, second, consistency proof] (kSHA256Proofs, plus 6 -> 7 from transparency-dev/merkle). */
const CT_CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

// ---------------------------------------------------------------------------------------------
// Reference implementation: the recursive definitions of RFC 9162 2.1.1, 2.1.3.1 and 2.1.4.1,
// written as literally as possible (quadratic-ish, but independent of the module's iterative code).

function refSplit(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes. */
function refMth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0]!;
  const k = refSplit(leaves.length);
  return nodeHash(refMth(leaves.slice(0, k)), refMth(leaves.slice(k)));
}

function refPath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = refSplit(leaves.length);
  return m < k
    ? [...refPath(m, leaves.slice(0, k)), refMth(leaves.slice(k))]
    : [...refPath(m - k, leaves.slice(k)), refMth(leaves.slice(0, k))];
}

function refSubproof(m: number, leaves: readonly Buffer[], complete: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [refMth(leaves)];
  const k = refSplit(n);
  return m <= k
    ? [...refSubproof(m, leaves.slice(0, k), complete), refMth(leaves.slice(k))]
    : [...refSubproof(m - k, leaves.slice(k), false), refMth(leaves.slice(0, k))];
}

function refProof(m: number, leaves: readonly Buffer[]): Buffer[] {
  return m === 0 || m === leaves.length ? [] : refSubproof(m, leaves, true);
}

// ---------------------------------------------------------------------------------------------

const LEAVES = Array.from({ length: 140 }, (_, i) => leafHash(Buffer.from(`audit entry ${i}`)));
const CT_LEAVES = CT_INPUTS.map(leafHash);

function fullSource(leaves: readonly Buffer[]): LeafSource {
  return { anchor: MerkleFrontier.empty(), leaves };
}

function frontierOf(leaves: readonly Buffer[]): MerkleFrontier {
  const frontier = MerkleFrontier.empty();
  for (const leaf of leaves) frontier.append(leaf);
  return frontier;
}

/** The source whose first `anchorSize` leaves were removed. */
function anchoredSource(leaves: readonly Buffer[], anchorSize: number): LeafSource {
  return { anchor: frontierOf(leaves.slice(0, anchorSize)), leaves: leaves.slice(anchorSize) };
}

function sameList(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.length === b.length && a.every((node, i) => node.equals(b[i]!));
}

function flipBit(hash: Buffer, bit = 3): Buffer {
  const copy = Buffer.from(hash);
  copy[0]! ^= 1 << bit;
  return copy;
}

const SOME_HASH = hex('abacaba000000000000000000000000000000000000000000060061e00123456');

describe('hashing', () => {
  it('hashes leaves, nodes and the empty tree as RFC 6962 says', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(CT_EMPTY_ROOT);
    expect(leafHash(new Uint8Array()).toString('hex')).toBe(CT_ROOTS[0]);
    const data = Buffer.from('data');
    expect(leafHash(data)).toEqual(
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(data)
        .digest(),
    );
    expect(nodeHash(CT_LEAVES[0]!, CT_LEAVES[1]!).toString('hex')).toBe(CT_ROOTS[1]);
  });
});

describe('RFC 6962 reference vectors (certificate-transparency merkle_tree_test)', () => {
  const src = fullSource(CT_LEAVES);

  it('leaf hashes are the level-0 node hashes', () => {
    expect(hexes(CT_LEAVES)).toEqual(CT_NODE_HASHES[0]);
  });

  it('root of every tree size 0..8', () => {
    expect(rootAt(src, 0).toString('hex')).toBe(CT_EMPTY_ROOT);
    for (let size = 1; size <= 8; size++) {
      expect(rootAt(src, size).toString('hex'), `size ${size}`).toBe(CT_ROOTS[size - 1]);
      expect(frontierOf(CT_LEAVES.slice(0, size)).root().toString('hex')).toBe(CT_ROOTS[size - 1]);
    }
  });

  it('hash of every perfect subtree', () => {
    CT_NODE_HASHES.forEach((level, height) => {
      const width = 2 ** height;
      level.forEach((expected, i) => {
        expect(subtreeHash(src, i * width, (i + 1) * width).toString('hex')).toBe(expected);
      });
    });
  });

  it('frontier nodes of every tree size 1..8 (CompactTrees)', () => {
    const nh = CT_NODE_HASHES;
    const expected = [
      [nh[0]![0]],
      [nh[1]![0]],
      [nh[1]![0], nh[0]![2]],
      [nh[2]![0]],
      [nh[2]![0], nh[0]![4]],
      [nh[2]![0], nh[1]![2]],
      [nh[2]![0], nh[1]![2], nh[0]![6]],
      [nh[3]![0]],
    ];
    for (let size = 1; size <= 8; size++) {
      expect(hexes(frontierOf(CT_LEAVES.slice(0, size)).nodes)).toEqual(expected[size - 1]);
    }
  });

  it.each(CT_PATHS)('inclusion path of leaf %i in a tree of %i', (index, size, path) => {
    const proof = inclusionProof(src, index, size);
    expect(hexes(proof)).toEqual(path);
    const root = hex(CT_ROOTS[size - 1]!);
    const leaf = CT_LEAVES[index]!;
    expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);

    // The probes of the reference verifier tests.
    const probes: Array<[string, Buffer, number, number, Buffer[], Buffer]> = [
      ['index - 1', leaf, index - 1, size, proof, root],
      ['index + 1', leaf, index + 1, size, proof, root],
      ['index ^ 2', leaf, index ^ 2, size, proof, root],
      ['size * 2', leaf, index, size * 2, proof, root],
      ['size / 2', leaf, index, Math.floor(size / 2), proof, root],
      ['wrong leaf', leafHash(Buffer.from('WrongLeaf')), index, size, proof, root],
      ['empty root', leaf, index, size, proof, EMPTY_ROOT],
      ['random root', leaf, index, size, proof, SOME_HASH],
      ['trailing garbage', leaf, index, size, [...proof, Buffer.alloc(0)], root],
      ['trailing root', leaf, index, size, [...proof, root], root],
      ['preceding garbage', leaf, index, size, [Buffer.alloc(0), ...proof], root],
      ['preceding root', leaf, index, size, [root, ...proof], root],
    ];
    proof.forEach((_, i) => {
      probes.push([
        `modified proof[${i}]`,
        leaf,
        index,
        size,
        proof.map((p, j) => (i === j ? flipBit(p) : p)),
        root,
      ]);
    });
    if (proof.length > 0) probes.push(['removed component', leaf, index, size, proof.slice(0, -1), root]);
    if (proof.length > 1) {
      probes.push(['inserted component', leaf, index, size, [proof[0]!, SOME_HASH, ...proof.slice(1)], root]);
    }
    for (const [what, l, i, s, p, r] of probes) expect(verifyInclusion(l, i, s, p, r), what).toBe(false);
  });

  it.each(CT_CONSISTENCY)('consistency proof %i -> %i', (first, second, expected) => {
    const proof = consistencyProof(src, first, second);
    expect(hexes(proof)).toEqual(expected);
    const root1 = hex(CT_ROOTS[first - 1]!);
    const root2 = hex(CT_ROOTS[second - 1]!);
    expect(verifyConsistency(first, second, root1, root2, proof)).toBe(true);
    if (proof.length === 0) return;

    const wrongRoot = hex('00'.repeat(32));
    const probes: Array<[string, number, number, Buffer, Buffer, Buffer[]]> = [
      ['first - 1', first - 1, second, root1, root2, proof],
      ['first + 1', first + 1, second, root1, root2, proof],
      ['first ^ 2', first ^ 2, second, root1, root2, proof],
      ['second * 2', first, second * 2, root1, root2, proof],
      ['second / 2', first, Math.floor(second / 2), root1, root2, proof],
      ['wrong root1', first, second, wrongRoot, root2, proof],
      ['wrong root2', first, second, root1, wrongRoot, proof],
      ['swapped roots', first, second, root2, root1, proof],
      ['empty proof', first, second, root1, root2, []],
      ['trailing garbage', first, second, root1, root2, [...proof, Buffer.alloc(0)]],
      ['trailing root1', first, second, root1, root2, [...proof, root1]],
      ['trailing root2', first, second, root1, root2, [...proof, root2]],
      ['preceding garbage', first, second, root1, root2, [Buffer.alloc(0), ...proof]],
      ['preceding root1', first, second, root1, root2, [root1, ...proof]],
      ['preceding root2', first, second, root1, root2, [root2, ...proof]],
      ['preceding proof[0]', first, second, root1, root2, [proof[0]!, ...proof]],
      ['truncated proof', first, second, root1, root2, proof.slice(0, -1)],
    ];
    proof.forEach((_, i) => {
      probes.push([
        `modified proof[${i}]`,
        first,
        second,
        root1,
        root2,
        proof.map((p, j) => (i === j ? flipBit(p, 4) : p)),
      ]);
    });
    for (const [what, f, s, r1, r2, p] of probes)
      expect(verifyConsistency(f, s, r1, r2, p), what).toBe(false);
  });

  it('edge cases of the reference consistency verifier', () => {
    const r1 = SOME_HASH;
    const r2 = flipBit(SOME_HASH);
    // Sizes that are always consistent (the empty tree's root is fixed: see verifyConsistency).
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true);
    expect(verifyConsistency(0, 1, EMPTY_ROOT, r2, [])).toBe(true);
    expect(verifyConsistency(1, 1, r2, r2, [])).toBe(true);
    // Time travel to the past.
    expect(verifyConsistency(1, 0, r1, r2, [])).toBe(false);
    expect(verifyConsistency(2, 1, r1, r2, [])).toBe(false);
    // Empty proof.
    expect(verifyConsistency(1, 2, r1, r2, [])).toBe(false);
    // Roots don't match.
    expect(verifyConsistency(0, 0, EMPTY_ROOT, r2, [])).toBe(false);
    expect(verifyConsistency(1, 1, EMPTY_ROOT, r2, [])).toBe(false);
    // Roots match but the proof is not empty.
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    expect(verifyConsistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false);
    // A size-0 tree whose claimed root is not the empty root is not consistent with anything.
    expect(verifyConsistency(0, 1, r1, r2, [])).toBe(false);
  });

  it('edge cases of the reference inclusion verifier', () => {
    const hash = leafHash(Buffer.from('data'));
    expect(verifyInclusion(hash, 0, 1, [], hash)).toBe(true);
    expect(verifyInclusion(hash, 0, 1, [], EMPTY_ROOT)).toBe(false);
    expect(verifyInclusion(Buffer.alloc(0), 0, 1, [], hash)).toBe(false);
    expect(verifyInclusion(hash, 0, 1, [], Buffer.alloc(0))).toBe(false);
    for (const [index, size] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [2, 1],
    ] as const) {
      expect(verifyInclusion(SOME_HASH, index, size, [], EMPTY_ROOT)).toBe(false);
    }
  });
});

describe('every tree size 1..70', () => {
  const MAX = 70;
  const src = fullSource(LEAVES.slice(0, MAX));
  const roots = Array.from({ length: MAX + 1 }, (_, size) => refMth(LEAVES.slice(0, size)));

  it('roots match the RFC definition', () => {
    for (let size = 0; size <= MAX; size++) expect(rootAt(src, size), `size ${size}`).toEqual(roots[size]);
  });

  it('every inclusion proof matches PATH, verifies, and fails once tampered with', () => {
    // Thousands of checks: failures are collected and compared once, which keeps the test fast.
    const failures: string[] = [];
    const check = (ok: boolean, what: () => string) => {
      if (!ok) failures.push(what());
    };
    let checked = 0;
    for (let size = 1; size <= MAX; size++) {
      const root = roots[size]!;
      const leaves = LEAVES.slice(0, size);
      for (let index = 0; index < size; index++) {
        const at = `leaf ${index} of ${size}`;
        const leaf = LEAVES[index]!;
        const proof = inclusionProof(src, index, size);
        check(sameList(proof, refPath(index, leaves)), () => `${at}: proof differs from PATH`);
        check(verifyInclusion(leaf, index, size, proof, root), () => `${at}: does not verify`);
        checked++;

        const reject = (what: string, ...args: Parameters<typeof verifyInclusion>) =>
          check(!verifyInclusion(...args), () => `${at}: verified with ${what}`);
        for (let i = 0; i < proof.length; i++) {
          for (const bit of [0, 7]) {
            const tampered = proof.map((p, j) => (j === i ? flipBit(p, bit) : p));
            reject(`proof[${i}] bit ${bit} flipped`, leaf, index, size, tampered, root);
          }
        }
        for (let other = -1; other <= size; other++) {
          if (other !== index) reject(`index ${other}`, leaf, other, size, proof, root);
        }
        reject('a tampered root', leaf, index, size, proof, flipBit(root));
        reject('a tampered leaf', flipBit(leaf), index, size, proof, root);
        reject('the next leaf', LEAVES[index + 1]!, index, size, proof, root);
        if (proof.length > 0) {
          reject('the first node removed', leaf, index, size, proof.slice(1), root);
          reject('the last node removed', leaf, index, size, proof.slice(0, -1), root);
        }
        reject('a node appended', leaf, index, size, [...proof, SOME_HASH], root);
        reject('a node prepended', leaf, index, size, [SOME_HASH, ...proof], root);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe((MAX * (MAX + 1)) / 2);
  });

  it('every consistency proof between sizes 0 <= first <= second <= 70 matches PROOF, verifies, and fails once tampered with', () => {
    const failures: string[] = [];
    const check = (ok: boolean, what: () => string) => {
      if (!ok) failures.push(what());
    };
    let checked = 0;
    for (let second = 0; second <= MAX; second++) {
      const leaves = LEAVES.slice(0, second);
      for (let first = 0; first <= second; first++) {
        const at = `${first} -> ${second}`;
        const root1 = roots[first]!;
        const root2 = roots[second]!;
        const proof = consistencyProof(src, first, second);
        check(sameList(proof, refProof(first, leaves)), () => `${at}: proof differs from PROOF`);
        check(verifyConsistency(first, second, root1, root2, proof), () => `${at}: does not verify`);
        checked++;

        const reject = (what: string, ...args: Parameters<typeof verifyConsistency>) =>
          check(!verifyConsistency(...args), () => `${at}: verified with ${what}`);
        for (let i = 0; i < proof.length; i++) {
          for (const bit of [0, 7]) {
            const tampered = proof.map((p, j) => (j === i ? flipBit(p, bit) : p));
            reject(`proof[${i}] bit ${bit} flipped`, first, second, root1, root2, tampered);
          }
        }
        reject('a tampered first root', first, second, flipBit(root1), root2, proof);
        // (Any tree extends the empty one: with first = 0 only the empty root is checked.)
        if (first > 0 || second === 0) {
          reject('a tampered second root', first, second, root1, flipBit(root2), proof);
        }
        if (first > 0 && first < second) {
          reject('swapped roots', first, second, root2, root1, proof);
          reject('an empty proof', first, second, root1, root2, []);
          reject('the last node removed', first, second, root1, root2, proof.slice(0, -1));
          reject('a node appended', first, second, root1, root2, [...proof, SOME_HASH]);
          reject('the first node repeated', first, second, root1, root2, [proof[0]!, ...proof]);
          // Another first size (with its own, correct root) does not reuse this proof.
          for (const other of [first - 1, first + 1]) {
            if (other >= 1 && other < second) {
              reject(`first = ${other}`, other, second, roots[other]!, root2, proof);
            }
          }
        } else {
          // first = 0 or first = second: the proof is empty and extra nodes are refused.
          check(proof.length === 0, () => `${at}: proof is not empty`);
          reject('a node added', first, second, root1, root2, [SOME_HASH]);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(((MAX + 1) * (MAX + 2)) / 2);
  });
});

describe('anchored sources (removed prefix)', () => {
  it('every root and proof of an anchored source equals the full-source one (sizes 1..24, every anchor)', () => {
    const failures: string[] = [];
    let checked = 0;
    for (let n = 1; n <= 24; n++) {
      const full = fullSource(LEAVES.slice(0, n));
      for (let anchor = 0; anchor <= n; anchor++) {
        const src = anchoredSource(LEAVES.slice(0, n), anchor);
        const at = `n ${n}, anchor ${anchor}`;
        if (sourceSize(src) !== n) failures.push(`${at}: size ${sourceSize(src)}`);
        for (let size = anchor; size <= n; size++) {
          if (!rootAt(src, size).equals(rootAt(full, size))) failures.push(`${at}: root of ${size}`);
          for (let index = anchor; index < size; index++) {
            checked++;
            if (!sameList(inclusionProof(src, index, size), inclusionProof(full, index, size))) {
              failures.push(`${at}: inclusion of ${index} in ${size}`);
            }
          }
          for (let first = anchor; first <= size; first++) {
            checked++;
            if (!sameList(consistencyProof(src, first, size), consistencyProof(full, first, size))) {
              failures.push(`${at}: consistency ${first} -> ${size}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(10_000);
  });

  it('a 70-leaf log with every anchor still proves every retained leaf and every later size', () => {
    const n = 70;
    const full = fullSource(LEAVES.slice(0, n));
    const root = rootAt(full, n);
    const failures: string[] = [];
    for (let anchor = 0; anchor <= n; anchor++) {
      const src = anchoredSource(LEAVES.slice(0, n), anchor);
      const at = `anchor ${anchor}`;
      if (!rootAt(src, n).equals(root)) failures.push(`${at}: root`);
      if (!rootAt(src, anchor).equals(rootAt(full, anchor))) failures.push(`${at}: root at the anchor`);
      for (let index = anchor; index < n; index++) {
        const proof = inclusionProof(src, index, n);
        if (!sameList(proof, inclusionProof(full, index, n))) failures.push(`${at}: inclusion of ${index}`);
        if (!verifyInclusion(LEAVES[index]!, index, n, proof, root)) {
          failures.push(`${at}: ${index} does not verify`);
        }
      }
      for (let first = Math.max(anchor, 1); first < n; first++) {
        const proof = consistencyProof(src, first, n);
        if (!sameList(proof, consistencyProof(full, first, n))) {
          failures.push(`${at}: consistency from ${first}`);
        }
        if (!verifyConsistency(first, n, rootAt(full, first), root, proof)) {
          failures.push(`${at}: consistency from ${first} does not verify`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('frontier nodes of the anchor are served from the anchor; nodes inside them are refused', () => {
    const src = anchoredSource(LEAVES.slice(0, 20), 13); // frontier of 13: [0,8) [8,12) [12,13)
    const full = fullSource(LEAVES.slice(0, 20));
    for (const [b, e] of [
      [0, 8],
      [8, 12],
      [12, 13],
      [8, 13],
      [0, 13],
      [12, 14],
      [8, 16],
      [0, 16],
      [16, 20],
      [0, 20],
    ] as const) {
      expect(subtreeHash(src, b, e), `[${b}, ${e})`).toEqual(subtreeHash(full, b, e));
    }
    for (const [b, e] of [
      [0, 4],
      [4, 8],
      [8, 10],
      [11, 12],
      [0, 1],
      [0, 12 - 1],
    ] as const) {
      expect(() => subtreeHash(src, b, e), `[${b}, ${e})`).toThrow(UnavailableNodeError);
    }
    expect(() => subtreeHash(src, 0, 4)).toThrow(
      /\[0, 4\) cannot be derived: the leaves before 13 were removed/,
    );
  });

  it('refuses proofs and roots that need removed leaves, with clear errors', () => {
    const src = anchoredSource(LEAVES.slice(0, 20), 13);
    for (let index = 0; index < 13; index++) {
      expect(() => inclusionProof(src, index, 20)).toThrow(UnavailableNodeError);
    }
    expect(() => inclusionProof(src, 12, 20)).toThrow(
      'No inclusion proof for leaf 12: the leaves before 13 were removed',
    );
    for (let first = 1; first < 13; first++) {
      expect(() => consistencyProof(src, first, 20)).toThrow(UnavailableNodeError);
    }
    for (let size = 1; size < 13; size++) expect(() => rootAt(src, size)).toThrow(UnavailableNodeError);
    // Trivial answers need no leaves.
    expect(rootAt(src, 0)).toEqual(EMPTY_ROOT);
    expect(consistencyProof(src, 0, 20)).toEqual([]);
    expect(consistencyProof(src, 5, 5)).toEqual([]);
  });

  it('rejects out-of-range arguments', () => {
    const src = anchoredSource(LEAVES.slice(0, 10), 3);
    expect(() => rootAt(src, 11)).toThrow(RangeError);
    expect(() => rootAt(src, -1)).toThrow(RangeError);
    expect(() => rootAt(src, 1.5)).toThrow(RangeError);
    expect(() => inclusionProof(src, 10, 10)).toThrow(RangeError);
    expect(() => inclusionProof(src, 4, 11)).toThrow(RangeError);
    expect(() => consistencyProof(src, 6, 5)).toThrow(RangeError);
    expect(() => consistencyProof(src, 4, 11)).toThrow(RangeError);
    expect(() => subtreeHash(src, 5, 5)).toThrow(RangeError);
    expect(() => subtreeHash(src, 5, 11)).toThrow(RangeError);
    const bad: LeafSource = { anchor: MerkleFrontier.empty(), leaves: [LEAVES[0]!, Buffer.alloc(31)] };
    expect(() => rootAt(bad, 2)).toThrow(/leaf 1 is not a 32-byte hash/);
  });

  it('works for logs beyond 2^32 leaves (a large anchor followed by retained leaves)', () => {
    const anchorSize = 2 ** 40 + 2 ** 33 + 5; // popcount 4
    const anchor = MerkleFrontier.fromJSON({
      size: anchorSize,
      nodes: [1, 2, 3, 4].map((i) => leafHash(Buffer.from([i])).toString('base64')),
    });
    const leaves = LEAVES.slice(0, 11);
    const src: LeafSource = { anchor, leaves };
    const size = anchorSize + leaves.length;

    const appended = anchor.clone();
    for (const leaf of leaves) appended.append(leaf);
    expect(appended.size).toBe(size);
    const root = rootAt(src, size);
    expect(appended.root()).toEqual(root);
    expect(rootAt(src, anchorSize)).toEqual(anchor.root());

    for (let index = anchorSize; index < size; index++) {
      const proof = inclusionProof(src, index, size);
      // The left half of the tree, [0, 2^40), is the anchor's first frontier node.
      expect(proof.at(-1)).toEqual(anchor.nodes[0]);
      expect(verifyInclusion(LEAVES[index - anchorSize]!, index, size, proof, root)).toBe(true);
      expect(verifyInclusion(LEAVES[index - anchorSize]!, index - 2 ** 32, size, proof, root)).toBe(false);
    }
    for (let first = anchorSize; first < size; first++) {
      const proof = consistencyProof(src, first, size);
      expect(verifyConsistency(first, size, rootAt(src, first), root, proof)).toBe(true);
      expect(verifyConsistency(first + 2 ** 32, size + 2 ** 32, rootAt(src, first), root, proof)).toBe(false);
    }
  });
});

describe('MerkleFrontier', () => {
  it('append-then-root equals the RFC root for sizes 0..130', () => {
    const frontier = MerkleFrontier.empty();
    const full = fullSource(LEAVES.slice(0, 130));
    for (let size = 0; size <= 130; size++) {
      if (size > 0) frontier.append(LEAVES[size - 1]!);
      expect(frontier.size).toBe(size);
      expect(frontier.root(), `size ${size}`).toEqual(refMth(LEAVES.slice(0, size)));
      expect(frontier.root()).toEqual(rootAt(full, size));
      // One node per set bit of the size, each the hash of its aligned perfect subtree.
      let begin = 0;
      const expected: Buffer[] = [];
      for (let p = 128; p >= 1; p /= 2) {
        if (size - begin >= p) {
          expected.push(refMth(LEAVES.slice(begin, begin + p)));
          begin += p;
        }
      }
      expect(frontier.nodes).toEqual(expected);
    }
  });

  it('the empty frontier has the empty root', () => {
    const frontier = MerkleFrontier.empty();
    expect(frontier.size).toBe(0);
    expect(frontier.nodes).toEqual([]);
    expect(frontier.root()).toEqual(EMPTY_ROOT);
    expect(frontier.toJSON()).toEqual({ size: 0, nodes: [] });
  });

  it('round-trips through toJSON / JSON text / fromJSON and keeps appending identically', () => {
    for (const size of [0, 1, 2, 3, 7, 8, 13, 64, 100]) {
      const frontier = frontierOf(LEAVES.slice(0, size));
      const json = frontier.toJSON();
      expect(json.size).toBe(size);
      expect(json.nodes.every((node) => Buffer.from(node, 'base64').length === 32)).toBe(true);
      const restored = MerkleFrontier.fromJSON(JSON.parse(JSON.stringify(frontier)));
      expect(restored.size).toBe(size);
      expect(restored.nodes).toEqual(frontier.nodes);
      expect(restored.root()).toEqual(frontier.root());
      for (let i = size; i < size + 20; i++) restored.append(LEAVES[i]!);
      expect(restored.root()).toEqual(refMth(LEAVES.slice(0, size + 20)));
    }
  });

  it('clone() is independent of the original', () => {
    const frontier = frontierOf(LEAVES.slice(0, 5));
    const root = frontier.root();
    const copy = frontier.clone();
    copy.append(LEAVES[5]!);
    expect(frontier.size).toBe(5);
    expect(frontier.root()).toEqual(root);
    expect(copy.root()).toEqual(refMth(LEAVES.slice(0, 6)));
    // Returned roots are copies: scribbling on one does not corrupt the frontier.
    frontier.root().fill(0);
    expect(frontier.root()).toEqual(root);
  });

  it('fromJSON rejects malformed input', () => {
    const node = LEAVES[0]!.toString('base64');
    const bad: unknown[] = [
      null,
      undefined,
      'frontier',
      42,
      [],
      {},
      { nodes: [] },
      { size: 0 },
      { size: -1, nodes: [] },
      { size: 1.5, nodes: [node] },
      { size: '1', nodes: [node] },
      { size: 2 ** 53, nodes: [node] },
      { size: Number.NaN, nodes: [] },
      { size: 1, nodes: node },
      { size: 1, nodes: [] },
      { size: 3, nodes: [node] },
      { size: 4, nodes: [node, node] },
      { size: 0, nodes: [node] },
      { size: 1, nodes: [42] },
      { size: 1, nodes: [null] },
      { size: 1, nodes: [Buffer.alloc(31).toString('base64')] },
      { size: 1, nodes: [Buffer.alloc(33).toString('base64')] },
      { size: 1, nodes: ['not base64 at all!!'] },
      { size: 1, nodes: [LEAVES[0]!.toString('hex')] },
      { size: 1, nodes: [LEAVES[0]!.toString('base64url')] },
      { size: 1, nodes: [`${node}\n`] },
    ];
    for (const json of bad)
      expect(() => MerkleFrontier.fromJSON(json), JSON.stringify(json) ?? 'undefined').toThrow();
  });

  it('append rejects anything but a 32-byte hash', () => {
    const frontier = MerkleFrontier.empty();
    expect(() => frontier.append(Buffer.alloc(31))).toThrow(TypeError);
    expect(() => frontier.append('hash' as unknown as Buffer)).toThrow(TypeError);
    expect(frontier.size).toBe(0);
  });
});

describe('verifiers never throw on malformed input', () => {
  it('returns false for bad numbers, hashes and proof elements', () => {
    const src = fullSource(LEAVES.slice(0, 9));
    const root = rootAt(src, 9);
    const proof = inclusionProof(src, 4, 9);
    const leaf = LEAVES[4]!;
    const asAny = (value: unknown) => value as never;
    for (const index of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, asAny('4'), asAny(null)]) {
      expect(verifyInclusion(leaf, index, 9, proof, root)).toBe(false);
    }
    for (const size of [-1, 9.5, Number.NaN, asAny('9'), 2 ** 53]) {
      expect(verifyInclusion(leaf, 4, size, proof, root)).toBe(false);
    }
    expect(verifyInclusion(leaf, 4, 9, [...proof.slice(0, -1), Buffer.alloc(31)], root)).toBe(false);
    expect(verifyInclusion(leaf, 4, 9, asAny([...proof.slice(0, -1), 'x']), root)).toBe(false);
    expect(verifyInclusion(leaf, 4, 9, asAny(null), root)).toBe(false);
    expect(verifyInclusion(leaf, 4, 9, asAny('proof'), root)).toBe(false);
    expect(verifyInclusion(asAny(null), 4, 9, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 4, 9, proof, asAny(undefined))).toBe(false);
    expect(verifyInclusion(leaf, 4, 9, Array(200).fill(SOME_HASH), root)).toBe(false);
    // Uint8Array (not Buffer) inputs are fine.
    expect(
      verifyInclusion(
        new Uint8Array(leaf),
        4,
        9,
        proof.map((p) => new Uint8Array(p)),
        new Uint8Array(root),
      ),
    ).toBe(true);

    const root5 = rootAt(src, 5);
    const cproof = consistencyProof(src, 5, 9);
    expect(verifyConsistency(5, 9, root5, root, cproof)).toBe(true);
    for (const [first, second] of [
      [-1, 9],
      [5, -1],
      [5.5, 9],
      [5, Number.NaN],
      [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
      [asAny('5'), 9],
    ] as Array<[number, number]>) {
      expect(verifyConsistency(first, second, root5, root, cproof)).toBe(false);
    }
    expect(verifyConsistency(5, 9, root5, root, [...cproof.slice(0, -1), Buffer.alloc(0)])).toBe(false);
    expect(verifyConsistency(5, 9, root5, root, asAny(null))).toBe(false);
    expect(verifyConsistency(5, 9, root5, root, asAny([1, 2, 3]))).toBe(false);
    expect(verifyConsistency(5, 9, asAny('root'), root, cproof)).toBe(false);
    expect(verifyConsistency(5, 9, root5, Buffer.alloc(31), cproof)).toBe(false);
    expect(verifyConsistency(5, 9, root5, root, Array(200).fill(SOME_HASH))).toBe(false);
  });
});
