import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SecretFinding } from '../model/index.js';
import { imageTree, layerDigest } from '../../test/harness/catalog.js';
import { seededRandom } from '../../test/harness/random.js';
import type { TarEntry } from '../../test/harness/tar-writer.js';
import {
  findSecrets,
  secretCollectors,
  secretPatternProblem,
  segments,
  type KeptFinding,
  type SecretScanOptions,
} from './secrets.js';

/**
 * Tokens are made here from a seeded generator rather than stored in fixtures, so the repository
 * holds nothing a secret scanner (ours or a forge's) would flag.
 */
const random = seededRandom(0x5ec12e75);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE64 = `${ALNUM}+/`;
const pick = (alphabet: string, n: number): string =>
  Array.from({ length: n }, () => alphabet.charAt(random(alphabet.length))).join('');

const AWS_KEY_ID = `AKIA${pick(UPPER, 16)}`;
const AWS_SECRET = pick(BASE64, 40);
const GITHUB_PAT = `ghp_${pick(ALNUM, 36)}`;
const GITHUB_APP = `ghs_${pick(ALNUM, 36)}`;
const GITHUB_FINE = `github_pat_${pick(ALNUM, 22)}_${pick(ALNUM, 59)}`;
const GITLAB = `glpat-${pick(ALNUM, 20)}`;
const SLACK_BOT = `xoxb-${pick('0123456789', 12)}-${pick('0123456789', 13)}-${pick(ALNUM, 24)}`;
const SLACK_HOOK = `https://hooks.slack.com/services/T${pick(UPPER, 8)}/B${pick(UPPER, 10)}/${pick(ALNUM, 24)}`;
const DB_PASSWORD = `${pick(ALNUM, 10)}-7`;

const PRIVATE_KEYS = (() => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    sec1: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
  };
})();

async function scan(layers: TarEntry[][], options?: SecretScanOptions): Promise<SecretFinding[]> {
  return findSecrets(await imageTree(layers, secretCollectors(options)));
}

/** Findings without the layer, sorted, for comparison. */
const summary = (findings: SecretFinding[]): string[] =>
  findings.map((f) => `${f.path}:${f.line} ${f.pattern} ${f.redacted}`).sort();

describe('secret patterns on real-shaped files', () => {
  it('finds AWS credentials in ~/.aws/credentials and masks them', async () => {
    const credentials = [
      '[default]',
      `aws_access_key_id = ${AWS_KEY_ID}`,
      `aws_secret_access_key = ${AWS_SECRET}`,
      'region = eu-west-1',
      '',
    ].join('\n');
    const found = await scan([[{ path: 'root/.aws/credentials', content: credentials }]]);
    expect(summary(found)).toEqual([
      `/root/.aws/credentials:2 aws-access-key-id AKIA${AWS_KEY_ID.slice(4, 8)}${'*'.repeat(12)}`,
      `/root/.aws/credentials:3 aws-secret-access-key aws_secret_access_key = ${AWS_SECRET.slice(0, 4)}${'*'.repeat(32)}`,
    ]);
    expect(found[0]?.layerDigest).toBe(layerDigest(0));
    for (const finding of found) {
      expect(finding.redacted).not.toContain(AWS_SECRET);
      expect(finding.redacted).not.toContain(AWS_KEY_ID);
    }
  });

  it("ignores AWS's documented example keys and 40 characters far from a secret key name", async () => {
    const text = [
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `checksum = ${AWS_SECRET}`,
    ].join('\n');
    expect(await scan([[{ path: 'etc/app.ini', content: text }]])).toEqual([]);
  });

  it('finds private key files and keys inside JSON, not code that names the header', async () => {
    const serviceAccount = JSON.stringify({
      type: 'service_account',
      private_key_id: pick('0123456789abcdef', 40),
      private_key: PRIVATE_KEYS.pkcs8,
    });
    const parser = [
      'def is_key(text):',
      '    return text.startswith("-----BEGIN RSA PRIVATE KEY-----")',
    ].join('\n');
    const found = await scan([
      [
        { path: 'root/.ssh/id_ecdsa', content: PRIVATE_KEYS.sec1 },
        { path: 'etc/ssl/private/server.key', content: PRIVATE_KEYS.pkcs8 },
        { path: 'app/service-account.json', content: serviceAccount },
        { path: 'usr/lib/python3/dist-packages/keys.py', content: parser },
      ],
    ]);
    const keyData = PRIVATE_KEYS.pkcs8.split('\n')[1]?.slice(0, 4) ?? '';
    expect(summary(found)).toEqual([
      `/app/service-account.json:1 private-key -----BEGIN PRIVATE KEY-----\\n${keyData}${'*'.repeat(12)}`,
      '/etc/ssl/private/server.key:1 private-key -----BEGIN PRIVATE KEY-----',
      '/root/.ssh/id_ecdsa:1 private-key -----BEGIN EC PRIVATE KEY-----',
    ]);
  });

  it('finds forge and chat tokens with their pattern names', async () => {
    const ci = [
      '# deploy settings',
      `GITHUB_TOKEN=${GITHUB_PAT}`,
      `export APP_TOKEN="${GITHUB_APP}"`,
      `fine_grained: ${GITHUB_FINE}`,
      `gitlab: '${GITLAB}'`,
      `slack_bot: ${SLACK_BOT}`,
      `webhook: ${SLACK_HOOK}`,
    ].join('\n');
    const found = await scan([[{ path: 'srv/ci.yml', content: ci }]]);
    expect(found.map((f) => [f.line, f.pattern])).toEqual([
      [2, 'github-token'],
      [3, 'github-token'],
      [4, 'github-fine-grained-token'],
      [5, 'gitlab-token'],
      [6, 'slack-token'],
      [7, 'slack-webhook'],
    ]);
    for (const [token, finding] of [GITHUB_PAT, GITHUB_APP, GITHUB_FINE, GITLAB, SLACK_BOT].map(
      (t, i) => [t, found[i]] as const,
    )) {
      expect(finding?.redacted).not.toContain(token);
      expect(finding?.redacted).toContain(token.slice(0, token.indexOf('_') + 1 || 6));
    }
  });

  it('finds password assignments and skips empty values, variables and placeholders', async () => {
    const env = [
      `DB_PASSWORD=${DB_PASSWORD}`,
      'EMPTY_PASSWORD=',
      'REF_PASSWORD=${DB_PASSWORD}',
      'password: "changeme"',
      'password = "<your password here>"',
      'api_key: xxxxxxxxxxxxxxxx',
      'secret=None',
      '    password=self.password,',
      '    password = getpass.getpass()',
      '"password": "Enter your password"',
      'if password == "":',
      'secret_file=/run/secrets/db',
      `client_secret = '${DB_PASSWORD}'`,
    ].join('\n');
    const found = await scan([[{ path: 'app/.env', content: env }]]);
    expect(summary(found)).toEqual([
      `/app/.env:1 generic-secret PASSWORD=${DB_PASSWORD.slice(0, 3)}${'*'.repeat(DB_PASSWORD.length - 3)}`,
      `/app/.env:13 generic-secret client_secret = '${DB_PASSWORD.slice(0, 3)}${'*'.repeat(DB_PASSWORD.length - 3)}'`,
    ]);
  });
});

describe('which files are scanned', () => {
  const token = `token: ${GITHUB_PAT}\n`;

  it('skips binaries, documentation, binary extensions and files over the size limit', async () => {
    const binary = Buffer.concat([Buffer.from('\x7fELF\0\0\0'), Buffer.from(token)]);
    const big = `${'#'.repeat(2 * 1024 * 1024)}\n${token}`;
    const layer: TarEntry[] = [
      { path: 'usr/bin/tool', content: binary },
      { path: 'usr/share/doc/tool/README', content: token },
      { path: 'usr/lib/libtool.so.1.2', content: token },
      { path: 'app/big.txt', content: big },
      { path: 'app/small.txt', content: token },
    ];
    expect((await scan([layer])).map((f) => f.path)).toEqual(['/app/small.txt']);
    const larger = await scan([layer], { maxFileBytes: 4 * 1024 * 1024 });
    expect(larger.map((f) => `${f.path}:${f.line}`)).toEqual([
      '/app/big.txt:2',
      '/app/small.txt:1',
    ]);
  });

  it('reports the layer that wrote the visible file, and nothing for deleted files', async () => {
    const found = await scan([
      [
        { path: 'app/a.env', content: token },
        { path: 'app/b.env', content: token },
        { path: 'app/c.env', content: token },
      ],
      [
        { path: 'app/.wh.a.env', content: '' },
        { path: 'app/b.env', content: 'token: none\n' },
        { path: 'app/c.env', content: `\n${token}` },
      ],
    ]);
    expect(found.map((f) => [f.path, f.line, f.layerDigest])).toEqual([
      ['/app/c.env', 2, layerDigest(1)],
    ]);
  });

  it('finds a token deep in a long minified line, once, on the right line', async () => {
    const filler = (n: number): string => pick('abcdefghij(){};,.=+ ', n);
    const minified = `${filler(1000)}\n${filler(150_001)}"${GITHUB_PAT}"${filler(150_000)}\nend\n`;
    const found = await scan([[{ path: 'app/dist/main.js', content: minified }]]);
    expect(found.map((f) => [f.line, f.pattern])).toEqual([[2, 'github-token']]);
  });

  it('keeps only redacted findings in what the layer stage caches', async () => {
    const tree = await imageTree(
      [[{ path: 'app/.env', content: `DB_PASSWORD=${DB_PASSWORD}\n${token}` }]],
      secretCollectors(),
    );
    const cached = JSON.stringify(tree.collectedBy('secrets'));
    expect(cached).toContain('generic-secret');
    expect(cached).not.toContain(DB_PASSWORD);
    expect(cached).not.toContain(GITHUB_PAT);
  });
});

describe('configured patterns', () => {
  it('adds named user patterns and drops disabled built-ins', async () => {
    const options: SecretScanOptions = {
      patterns: { 'acme-key': 'acme_live_(?<secret>[a-f0-9]{32})' },
      disabledPatterns: ['generic-secret'],
    };
    const key = `acme_live_${pick('0123456789abcdef', 32)}`;
    const content = `ACME=${key}\nDB_PASSWORD=${DB_PASSWORD}\n`;
    const found = await scan([[{ path: 'etc/acme.conf', content }]], options);
    expect(summary(found)).toEqual([
      `/etc/acme.conf:1 acme-key acme_live_${key.slice(10, 14)}${'*'.repeat(28)}`,
    ]);
  });

  it('changes the collector version with the pattern set and the size limit', () => {
    const version = (options?: SecretScanOptions): string =>
      secretCollectors(options)
        .map((c) => `${c.name}@${c.version}`)
        .join();
    const base = version();
    expect(version({})).toBe(base);
    expect(version({ maxFileBytes: 1024 * 1024 })).toBe(base);
    const others = [
      version({ maxFileBytes: 2048 }),
      version({ disabledPatterns: ['slack-token'] }),
      version({ patterns: { mine: 'abc[0-9]+' } }),
      version({ patterns: { mine: 'abc[0-9]{2}' } }),
    ];
    expect(new Set([base, ...others]).size).toBe(5);
    expect(
      secretCollectors({ disabledPatterns: ['aws-access-key-id'], patterns: {} }),
    ).toHaveLength(1);
  });

  it('has no collector when every pattern is disabled', () => {
    const all = [
      'aws-access-key-id',
      'aws-secret-access-key',
      'private-key',
      'github-token',
      'github-fine-grained-token',
      'gitlab-token',
      'slack-token',
      'slack-webhook',
      'generic-secret',
    ];
    expect(secretCollectors({ disabledPatterns: all })).toEqual([]);
  });

  it('explains why a user pattern cannot be used', () => {
    expect(secretPatternProblem('acme_[a-z]{8}')).toBeUndefined();
    expect(secretPatternProblem('acme_[a-z')).toMatch(/not a valid regular expression/);
    expect(secretPatternProblem('x*')).toMatch(/matches empty text/);
    expect(secretPatternProblem('a'.repeat(1001))).toMatch(/longer than 1000/);
  });
});

describe('scanner robustness (seeded fuzz)', () => {
  const collector = secretCollectors({ patterns: { digits: '[0-9]{6,}' } })[0];
  if (collector === undefined) throw new Error('no secret collector');

  /** Streams `data` through the collector in uneven chunks, as the layer reader does. */
  function scanBytes(data: Buffer, chunk: number): KeptFinding[] {
    const sink = collector?.open({ path: '/app/fuzz.txt', size: data.length, mode: 0o644 });
    if (sink === undefined) return [];
    for (let at = 0; at < data.length; at += chunk) sink.write(data.subarray(at, at + chunk));
    return (sink.end() as KeptFinding[] | undefined) ?? [];
  }

  it('never throws or hangs on random bytes, hostile text and long lines', () => {
    const fuzz = seededRandom(0xf0221e5);
    const words = [
      'password=',
      'secret: "',
      'AKIA',
      'aws_secret_access_key=',
      '-----BEGIN PRIVATE KEY-----',
      'ghp_',
      'xoxb-1-',
      'glpat-',
      'https://hooks.slack.com/services/',
      '\\n',
      '\n',
      '"',
      "'",
      ' ',
      '=',
    ];
    for (let round = 0; round < 120; round++) {
      let data: Buffer;
      if (round % 3 === 0) {
        data = Buffer.from(Array.from({ length: fuzz(5000) }, () => fuzz(256)));
      } else {
        const parts: string[] = [];
        const length = round % 20 === 1 ? 300_000 : 5000;
        for (let size = 0; size < length;) {
          const part =
            fuzz(4) === 0
              ? (words[fuzz(words.length)] ?? '')
              : pick(round % 2 === 0 ? BASE64 : 'aA0_-=:/ ', fuzz(300));
          parts.push(part);
          size += part.length + 1;
        }
        data = Buffer.from(parts.join(''));
      }
      const lines = data.toString('latin1').split('\n').length;
      const findings = scanBytes(data, 1 + fuzz(70_000));
      expect(findings.length).toBeLessThanOrEqual(100);
      for (const finding of findings) {
        expect(finding.line).toBeGreaterThanOrEqual(1);
        expect(finding.line).toBeLessThanOrEqual(lines);
        expect(finding.redacted.length).toBeLessThanOrEqual(120);
      }
    }
  });

  it('splits any text into segments that cover it, with correct line numbers', () => {
    const fuzz = seededRandom(0x5e6);
    for (let round = 0; round < 60; round++) {
      const text = Array.from({ length: fuzz(40) }, () => 'x'.repeat(fuzz(20_000))).join('\n');
      let covered = 0;
      for (const segment of segments(text)) {
        expect(segment.start).toBeLessThanOrEqual(covered);
        expect(segment.end - segment.start).toBeLessThanOrEqual(64 * 1024 + 4096);
        expect(segment.line).toBe(text.slice(0, segment.start).split('\n').length);
        covered = Math.max(covered, segment.end + 1);
      }
      expect(covered).toBeGreaterThanOrEqual(text.length);
    }
  });
});
