/**
 * The go scheme against golang.org/x/mod/semver itself: the copy vendored in the Go toolchain
 * (Debian's golang-go) is built here into a small program that reads JSON pairs on stdin and
 * prints IsValid and Compare for each, offline. 10,000+ seeded pairs: versions from a Go-shaped
 * grammar, pairs that differ in one part, and mutations of real module versions.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { goScheme } from '../src/version/go.js';
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

const SEED = oracleSeed(1909);

const ORACLE_MAIN = `package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"oracle/semver"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var pair [2]string
		if err := json.Unmarshal(in.Bytes(), &pair); err != nil {
			panic(err)
		}
		a, b := semver.IsValid(pair[0]), semver.IsValid(pair[1])
		order := "invalid"
		if a && b {
			order = fmt.Sprint(semver.Compare(pair[0], pair[1]))
		}
		fmt.Fprintf(out, "%t %t %s\\n", a, b, order)
	}
}
`;

const work = mkdtempSync(join(tmpdir(), 'drydock-version-go-'));
let oracle = '';

/** Builds the oracle from the toolchain's own x/mod/semver; never touches the network. */
beforeAll(() => {
  let goroot: string;
  try {
    goroot = execFileSync('go', ['env', 'GOROOT']).toString().trim();
  } catch (error) {
    throw new Error('the go oracle needs the Go toolchain: install the Debian package golang-go', {
      cause: error,
    });
  }
  const source = join(goroot, 'src/cmd/vendor/golang.org/x/mod/semver/semver.go');
  if (!existsSync(source)) {
    throw new Error(`no ${source}: install the Debian package golang-go`);
  }
  mkdirSync(join(work, 'semver'));
  copyFileSync(source, join(work, 'semver/semver.go'));
  writeFileSync(join(work, 'go.mod'), 'module oracle\n\ngo 1.19\n');
  writeFileSync(join(work, 'main.go'), ORACLE_MAIN);
  oracle = join(work, 'oracle');
  execFileSync('go', ['build', '-o', oracle, '.'], {
    cwd: work,
    env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off' },
  });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A decimal number: mostly small, sometimes with a leading zero or longer than 64 bits. */
function number(random: Random): string {
  switch (random(8)) {
    case 0:
      return `0${random(10)}`;
    case 1:
      return pick(random, ['18446744073709551616', '99999999999999999999999', '9007199254740993']);
    default:
      return String(random(4) === 0 ? random(100) : random(4));
  }
}

const IDENTIFIERS = ['alpha', 'beta', 'rc', 'pre', 'RC', 'x-y', '-', 'a1', '0a', 'incompatible'];

function identifier(random: Random): string {
  return random(2) === 0 ? number(random) : pick(random, IDENTIFIERS);
}

function identifiers(random: Random): string {
  const parts = Array.from({ length: 1 + random(3) }, () => identifier(random));
  return random(20) === 0 ? `${parts.join('.')}.` : parts.join('.');
}

/** The timestamp-and-commit tail of a pseudo-version, sometimes with a wrong digit count. */
function pseudo(random: Random): string {
  const year = 2015 + random(10);
  const time = `${year}${String(1 + random(12)).padStart(2, '0')}${String(10 + random(18))}${String(random(240000)).padStart(6, '0')}`;
  const commit = pick(random, ['daa7c04131f5', '1baeb1ce4c0b', '000000000000', 'abcdefABCDEF']);
  return `${random(15) === 0 ? time.slice(1) : time}-${commit}`;
}

/** Each part of a Go version, with its own punctuation, so one part can change alone. */
const PARTS: readonly ((random: Random) => string)[] = [
  (random) => pick(random, ['v', 'v', 'v', 'v', 'v', 'v', '', 'V']),
  number,
  (random) => (random(10) === 0 ? '' : `.${number(random)}`),
  (random) => (random(10) === 0 ? '' : `.${number(random)}`),
  (random) => {
    switch (random(6)) {
      case 0:
        return `-0.${pseudo(random)}`;
      case 1:
        return `-${pseudo(random)}`;
      case 2:
        return `-${identifiers(random)}.0.${pseudo(random)}`;
      case 3:
        return `-${identifiers(random)}`;
      default:
        return '';
    }
  },
  (random) => pick(random, ['', '', '', '', '+incompatible', `+${identifiers(random)}`, '+']),
];

const REAL_VERSIONS = [
  'v0.0.0-20191109021931-daa7c04131f5',
  'v0.3.7',
  'v1.2.3-pre.0.20220314234659-1baeb1ce4c0b',
  'v2.0.0+incompatible',
  'v0.0.0-20220314234659-1baeb1ce4c0b',
  'v1.57.0',
  'v1.0.0-rc.1',
  'v0.14.0-rc.1.0.20230101000000-abcdefabcdef',
  'v3.2.1-0.20180101000000-0123456789ab+incompatible',
  'v1',
  'v1.18',
];

const SPLICES = ['-', '.', '+', '0'];

describe('go versions against golang.org/x/mod/semver', () => {
  it('agrees on validity and order of 10,000 generated pairs', () => {
    const pairs = grammarPairs(seededRandom(SEED), 10_000, PARTS, REAL_VERSIONS, SPLICES);
    const answers = askOracle(oracle, [], jsonLines(pairs), 'golang-go');
    expectAgreement(pairs, answers, (a, b) => ourAnswer(goScheme, a, b), 'x/mod/semver', SEED);
    // The grammar must reach both sides of every answer.
    expectEveryKind(answers, EVERY_ANSWER);
  });
});
