import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RetainedFile } from '../model/index.js';
import { imageTree } from '../../test/harness/catalog.js';
import type { TarEntry } from '../../test/harness/tar-writer.js';
import {
  retainedFileCollectors,
  retainedFiles,
  retainedPathProblem,
  SHADOW_SUMMARY_HEADER,
} from './retained-files.js';

/** Debian's account defaults, from base-passwd 3.6.1 (passwd.master and group.master). */
const PASSWD = readFileSync('test/fixtures/distro/debian-passwd', 'utf8');
const GROUP = readFileSync('test/fixtures/distro/debian-group', 'utf8');
/** A real SHA-512 crypt hash, made by OpenSSL as passwd(1) would. */
const HASH = execFileSync('openssl', ['passwd', '-6', '-salt', 'drydocksalt', 'hunter2'])
  .toString()
  .trim();
const SHADOW = [
  'root:*:19700:0:99999:7:::',
  'daemon:*:19700:0:99999:7:::',
  `app:${HASH}:19700:0:99999:7:::`,
  `retired:!${HASH}:19700:0:99999:7:::`,
  'service:!!:19700::::::',
  'guest::19700:0:99999:7:::',
  '',
].join('\n');
const SUDOERS = [
  'Defaults\tenv_reset',
  'Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
  'root\tALL=(ALL:ALL) ALL',
  '%sudo\tALL=(ALL:ALL) ALL',
  '@includedir /etc/sudoers.d',
  '',
].join('\n');

async function retain(layers: TarEntry[][], paths?: readonly string[]): Promise<RetainedFile[]> {
  return retainedFiles(await imageTree(layers, retainedFileCollectors(paths)));
}

const text = (file: RetainedFile | undefined): string =>
  Buffer.from(file?.contentBase64 ?? '', 'base64').toString('utf8');

describe('retained files', () => {
  const base: TarEntry[] = [
    { path: 'etc/passwd', content: PASSWD },
    { path: 'etc/group', content: GROUP },
    { path: 'etc/shadow', content: SHADOW, mode: 0o640 },
    { path: 'etc/sudoers', content: SUDOERS, mode: 0o440 },
    { path: 'etc/sudoers.d/app', content: 'app ALL=(ALL) NOPASSWD: ALL\n', mode: 0o440 },
    { path: 'etc/sudoers.d/nested/deeper', content: 'not kept\n' },
    { path: 'etc/hostname', content: 'not kept\n' },
  ];

  it('keeps the default account and sudo files, sorted by path', async () => {
    const files = await retain([base]);
    expect(files.map((f) => [f.path, f.size, f.truncated])).toEqual([
      ['/etc/group', GROUP.length, false],
      ['/etc/passwd', PASSWD.length, false],
      ['/etc/shadow', SHADOW.length, false],
      ['/etc/sudoers', SUDOERS.length, false],
      ['/etc/sudoers.d/app', 28, false],
    ]);
    const byPath = new Map(files.map((f) => [f.path, f]));
    expect(text(byPath.get('/etc/passwd'))).toBe(PASSWD);
    expect(text(byPath.get('/etc/group'))).toBe(GROUP);
    expect(text(byPath.get('/etc/sudoers'))).toBe(SUDOERS);
    expect(text(byPath.get('/etc/sudoers.d/app'))).toBe('app ALL=(ALL) NOPASSWD: ALL\n');
  });

  it('keeps of /etc/shadow only which accounts have a usable password, never a hash', async () => {
    const shadow = (await retain([base])).find((f) => f.path === '/etc/shadow');
    expect(text(shadow)).toBe(
      [
        SHADOW_SUMMARY_HEADER,
        'root:locked',
        'daemon:locked',
        'app:password',
        'retired:locked',
        'service:locked',
        'guest:empty',
        '',
      ].join('\n'),
    );
    expect(text(shadow)).not.toContain('$6$');
  });

  it('removes a hash written in /etc/passwd itself', async () => {
    const passwd = `root:x:0:0:root:/root:/bin/bash\nold:${HASH}:1000:1000::/home/old:/bin/sh\n`;
    const [file] = await retain([[{ path: 'etc/passwd', content: passwd }]], ['/etc/passwd']);
    expect(text(file)).toBe(
      'root:x:0:0:root:/root:/bin/bash\nold:HASH-REMOVED:1000:1000::/home/old:/bin/sh\n',
    );
  });

  it('keeps the start of a large file and says so', async () => {
    const big = 'root ALL=(ALL) ALL\n'.repeat(20_000);
    const [file] = await retain([[{ path: 'etc/sudoers', content: big }]]);
    expect(file?.truncated).toBe(true);
    expect(file?.size).toBe(big.length);
    expect(text(file)).toBe(big.slice(0, 256 * 1024));
  });

  it('sees the squashed tree: later layers win, deleted files are gone', async () => {
    const files = await retain([
      base,
      [
        { path: 'etc/sudoers.d/.wh.app', content: '' },
        { path: 'etc/group', content: 'root:x:0:\n' },
      ],
    ]);
    expect(files.map((f) => f.path)).not.toContain('/etc/sudoers.d/app');
    expect(text(files.find((f) => f.path === '/etc/group'))).toBe('root:x:0:\n');
  });

  it('uses configured paths instead of the defaults, and none for an empty list', async () => {
    const layer: TarEntry[] = [...base, { path: 'app/config/policy.yaml', content: 'a: 1\n' }];
    const files = await retain([layer], ['/app/config/*', '/etc/hostname']);
    expect(files.map((f) => f.path)).toEqual(['/app/config/policy.yaml', '/etc/hostname']);
    expect(retainedFileCollectors([])).toEqual([]);
  });

  it('changes the collector version with the paths, not their order', () => {
    const version = (paths?: string[]): number => retainedFileCollectors(paths)[0]?.version ?? 0;
    expect(version(['/a', '/b'])).toBe(version(['/b', '/a']));
    expect(version(['/a'])).not.toBe(version(['/a', '/b']));
    expect(version()).not.toBe(version(['/etc/passwd']));
  });

  it('explains why a configured path cannot be used', () => {
    expect(retainedPathProblem('/etc/sudoers.d/*')).toBeUndefined();
    expect(retainedPathProblem('/etc/passwd')).toBeUndefined();
    expect(retainedPathProblem('etc/passwd')).toMatch(/absolute/);
    expect(retainedPathProblem('/etc/*.conf')).toMatch(/only as a whole last component/);
    expect(retainedPathProblem('/etc/../passwd')).toMatch(/normalised \(\/passwd\)/);
    expect(retainedPathProblem('/etc/')).toMatch(/normalised \(\/etc\)/);
  });
});
