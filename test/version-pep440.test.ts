/**
 * The pep440 scheme against Python's own `packaging.version.Version` (Debian's python3-packaging
 * under /usr/bin/python3; pyenv's python3 on PATH may lack it): one Python process reads JSON
 * pairs on stdin and prints validity (InvalidVersion or not) and order for each. 10,000+ seeded
 * pairs: versions from a PEP 440-shaped grammar (epochs, pre/post/dev spellings in any case,
 * separators, local parts, leading zeros, huge numbers, Unicode whitespace and the letters Python
 * folds to ASCII), pairs that differ in one part, and mutations of real PyPI versions.
 */
import { describe, it } from 'vitest';
import { pep440Scheme } from '../src/version/pep440.js';
import { seededRandom } from './harness/random.js';
import {
  EVERY_ANSWER,
  expectAgreement,
  expectEveryKind,
  grammarPairs,
  jsonLines,
  ourAnswer,
  pick,
  askOracle,
  oracleSeed,
  type Random,
} from './harness/version-oracle.js';

const SEED = oracleSeed(440);
const PYTHON = '/usr/bin/python3';

const ORACLE = String.raw`
import json, sys
from packaging.version import InvalidVersion, Version

def parse(text):
    try:
        return Version(text)
    except InvalidVersion:
        return None

out = []
for line in sys.stdin.buffer.read().split(b"\n"):
    if line:
        a, b = (parse(text) for text in json.loads(line))
        order = "invalid" if a is None or b is None else str((a > b) - (a < b))
        out.append(f"{str(a is not None).lower()} {str(b is not None).lower()} {order}")
sys.stdout.write("\n".join(out) + "\n")
`;

const maybe = (random: Random, odds: number, text: () => string): string =>
  random(odds) === 0 ? text() : '';

/** A decimal number: mostly small, sometimes with leading zeros or beyond 64 bits. */
function number(random: Random): string {
  switch (random(10)) {
    case 0:
      return `0${random(10)}`;
    case 1:
      return pick(random, ['00', '18446744073709551616', '123456789012345678901234567890']);
    case 2:
      return String(2000 + random(30));
    default:
      return String(random(4) === 0 ? random(100) : random(3));
  }
}

/** Keywords in any case, sometimes spelt with a character Python's IGNORECASE folds. */
function spelling(random: Random, keyword: string): string {
  const cased = keyword.replace(/[a-z]/g, (char) => (random(4) === 0 ? char.toUpperCase() : char));
  if (random(12) !== 0) return cased;
  return cased.replace('i', pick(random, ['\u0130', '\u0131'])).replace('s', '\u017f');
}

const separator = (random: Random): string => pick(random, ['', '', '.', '-', '_', '+', '~']);
const space = (random: Random): string =>
  maybe(random, 8, () => pick(random, [' ', '\t', '\n', '\x1c', '\x85', '\u3000', '\ufeff']));

const LOCAL_PARTS = ['ubuntu1', 'abc', 'deb10u2', 'g1234abc', 'K', '\u212a', '\u017f', 'ABC'];

/** Each part of a PEP 440 version, with its own punctuation, so one part can change alone. */
const PARTS: readonly ((random: Random) => string)[] = [
  space,
  (random) => pick(random, ['', '', '', 'v', 'V']),
  (random) => maybe(random, 6, () => `${number(random)}!`),
  number,
  (random) =>
    Array.from(
      { length: random(4) },
      () => `${pick(random, ['.', '.', '.', '-'])}${number(random)}`,
    ).join(''),
  (random) =>
    maybe(random, 3, () => {
      const keyword = pick(random, [
        'a',
        'b',
        'c',
        'rc',
        'alpha',
        'beta',
        'pre',
        'preview',
        'ALPHA',
      ]);
      return `${separator(random)}${spelling(random, keyword)}${separator(random)}${maybe(random, 2, () => number(random))}`;
    }),
  (random) =>
    maybe(random, 3, () =>
      random(4) === 0
        ? `-${number(random)}`
        : `${separator(random)}${spelling(random, pick(random, ['post', 'rev', 'r']))}${separator(random)}${maybe(random, 2, () => number(random))}`,
    ),
  (random) =>
    maybe(
      random,
      3,
      () =>
        `${separator(random)}${spelling(random, 'dev')}${separator(random)}${maybe(random, 2, () => number(random))}`,
    ),
  (random) =>
    maybe(random, 4, () => {
      const parts = Array.from({ length: 1 + random(3) }, () =>
        random(2) === 0 ? number(random) : pick(random, LOCAL_PARTS),
      );
      return `+${parts.map((part, index) => (index === 0 ? part : `${separator(random)}${part}`)).join('')}`;
    }),
  (random) => maybe(random, 30, () => pick(random, ['-SNAPSHOT', '.Final', '~1', '.*', ' x'])),
  space,
];

const REAL_VERSIONS = [
  '2.31.0',
  '1.26.18',
  '3.0.0rc1',
  '2.0.0b3',
  '1!2.0',
  '0.1.dev0+g1234abc',
  '1.0.post1',
  '2023.11.17',
  '1.0-1',
  '1.0.0.dev456',
  '1.2.3+ubuntu1',
  '4.0.0a6.dev1',
  '22.3.1',
  'v1.0',
  '1.0.0-alpha.1',
  '0.9.8-r2',
];

const SPLICES = ['-', '.', 'a', 'post', '!'];

describe('pep440 versions against packaging.version.Version', () => {
  it('agrees on validity and order of 10,000 generated pairs', () => {
    const pairs = grammarPairs(seededRandom(SEED), 10_000, PARTS, REAL_VERSIONS, SPLICES);
    const answers = askOracle(PYTHON, ['-c', ORACLE], jsonLines(pairs), 'python3-packaging');
    expectAgreement(pairs, answers, (a, b) => ourAnswer(pep440Scheme, a, b), 'packaging', SEED);
    // The grammar must reach both sides of every answer.
    expectEveryKind(answers, EVERY_ANSWER);
  });
});
