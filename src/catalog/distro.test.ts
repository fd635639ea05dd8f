import { describe, expect, it } from 'vitest';
import type { Distro } from '../model/index.js';
import { imageTree, readTxtarGroups } from '../../test/harness/catalog.js';
import { seededRandom } from '../../test/harness/random.js';
import type { TarEntry } from '../../test/harness/tar-writer.js';
import { detectDistro, distroCollectors, parseLegacyRelease, parseOsRelease } from './distro.js';

const IMAGES = readTxtarGroups('test/fixtures/distro/release-files.txtar');

async function detect(layers: TarEntry[][]): Promise<Distro | undefined> {
  return detectDistro(await imageTree(layers, distroCollectors));
}

const image = (name: string): TarEntry[] => {
  const entries = IMAGES.get(name);
  if (entries === undefined) throw new Error(`no fixture image ${name}`);
  return entries;
};

describe('detectDistro on the release files of real images', () => {
  const expected: Record<string, Distro> = {
    'debian-12': {
      id: 'debian',
      versionId: '12',
      versionCodename: 'bookworm',
      idLike: [],
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      source: '/usr/lib/os-release',
    },
    'ubuntu-22.04': {
      id: 'ubuntu',
      versionId: '22.04',
      versionCodename: 'jammy',
      idLike: ['debian'],
      prettyName: 'Ubuntu 22.04.4 LTS',
      source: '/usr/lib/os-release',
    },
    'ubuntu-24.04': {
      id: 'ubuntu',
      versionId: '24.04',
      versionCodename: 'noble',
      idLike: ['debian'],
      prettyName: 'Ubuntu 24.04 LTS',
      source: '/usr/lib/os-release',
    },
    'alpine-3.19': {
      id: 'alpine',
      versionId: '3.19.1',
      idLike: [],
      prettyName: 'Alpine Linux v3.19',
      source: '/usr/lib/os-release',
    },
    'ubi-9': {
      id: 'rhel',
      versionId: '9.4',
      idLike: ['fedora'],
      prettyName: 'Red Hat Enterprise Linux 9.4 (Plow)',
      source: '/usr/lib/os-release',
    },
    'rocky-9': {
      id: 'rocky',
      versionId: '9.3',
      idLike: ['rhel', 'centos', 'fedora'],
      prettyName: 'Rocky Linux 9.3 (Blue Onyx)',
      source: '/etc/os-release',
    },
    'almalinux-9': {
      id: 'almalinux',
      versionId: '9.4',
      idLike: ['rhel', 'centos', 'fedora'],
      prettyName: 'AlmaLinux 9.4 (Seafoam Ocelot)',
      source: '/etc/os-release',
    },
    'amazonlinux-2': {
      id: 'amzn',
      versionId: '2',
      idLike: ['centos', 'rhel', 'fedora'],
      prettyName: 'Amazon Linux 2',
      source: '/etc/os-release',
    },
    'amazonlinux-2023': {
      id: 'amzn',
      versionId: '2023',
      idLike: ['fedora'],
      prettyName: 'Amazon Linux 2023.4.20240528',
      source: '/etc/os-release',
    },
    'sles-15': {
      id: 'sles',
      versionId: '15.5',
      idLike: ['suse'],
      prettyName: 'SUSE Linux Enterprise Server 15 SP5',
      source: '/usr/lib/os-release',
    },
    'opensuse-leap-15': {
      id: 'opensuse-leap',
      versionId: '15.5',
      idLike: ['suse', 'opensuse'],
      prettyName: 'openSUSE Leap 15.5',
      source: '/usr/lib/os-release',
    },
    'fedora-40': {
      id: 'fedora',
      versionId: '40',
      idLike: [],
      prettyName: 'Fedora Linux 40 (Container Image)',
      source: '/usr/lib/os-release',
    },
    'centos-7': {
      id: 'centos',
      versionId: '7',
      idLike: ['rhel', 'fedora'],
      prettyName: 'CentOS Linux 7 (Core)',
      source: '/etc/os-release',
    },
    'distroless-debian12': {
      id: 'debian',
      versionId: '12',
      idLike: [],
      prettyName: 'Distroless',
      source: '/usr/lib/os-release',
    },
    // An os-release without VERSION_ID: the version comes from /etc/debian_version.
    'distroless-2019': {
      id: 'debian',
      versionId: '10',
      versionCodename: 'buster',
      idLike: [],
      prettyName: 'Distroless',
      source: '/etc/os-release',
    },
    // No release file at all: status.d and base-files' version say Debian 11.
    'distroless-no-release': {
      id: 'debian',
      versionId: '11',
      versionCodename: 'bullseye',
      idLike: [],
      source: '/var/lib/dpkg/status.d/base-files',
    },
    'centos-5': {
      id: 'centos',
      versionId: '5.7',
      idLike: ['rhel', 'fedora'],
      prettyName: 'CentOS release 5.7 (Final)',
      source: '/etc/redhat-release',
    },
    'amazonlinux-2018': {
      id: 'amzn',
      versionId: '2018.03',
      idLike: ['centos', 'rhel', 'fedora'],
      prettyName: 'Amazon Linux AMI release 2018.03',
      source: '/etc/system-release',
    },
    'sles-11': {
      id: 'sles',
      versionId: '11.4',
      idLike: ['suse'],
      prettyName: 'SUSE Linux Enterprise Server 11',
      source: '/etc/SuSE-release',
    },
    'opensuse-13': {
      id: 'opensuse',
      versionId: '13.2',
      versionCodename: 'Harlequin',
      idLike: ['suse'],
      prettyName: 'openSUSE 13.2',
      source: '/etc/SuSE-release',
    },
    'ubuntu-lsb-only': {
      id: 'ubuntu',
      versionId: '12.04',
      versionCodename: 'precise',
      idLike: [],
      prettyName: 'Ubuntu 12.04.5 LTS',
      source: '/etc/lsb-release',
    },
    'debian-testing': {
      id: 'debian',
      versionCodename: 'trixie',
      idLike: [],
      source: '/etc/debian_version',
    },
  };

  it('has an expectation for every fixture image', () => {
    expect(Object.keys(expected).sort()).toEqual([...IMAGES.keys()].sort());
  });

  for (const [name, distro] of Object.entries(expected)) {
    it(name, async () => {
      expect(await detect([image(name)])).toEqual(distro);
    });
  }
});

describe('detectDistro across layers', () => {
  it('uses the os-release of the top layer', async () => {
    const upgraded: TarEntry[] = [
      { path: 'usr/lib/os-release', content: 'ID=debian\nVERSION_ID="13"\n' },
    ];
    expect(await detect([image('debian-12'), upgraded])).toMatchObject({ versionId: '13' });
  });

  it('falls back to /usr/lib/os-release when /etc/os-release is deleted', async () => {
    const whiteout: TarEntry[] = [{ path: 'etc/.wh.os-release', content: '' }];
    expect(await detect([image('ubi-9'), whiteout])).toMatchObject({
      id: 'rhel',
      source: '/usr/lib/os-release',
    });
  });

  it('finds nothing in a scratch image', async () => {
    expect(await detect([[{ path: 'app', content: 'binary' }]])).toBeUndefined();
  });

  it('treats a status.d directory without base-files as Debian of unknown version', async () => {
    const layer: TarEntry[] = [{ path: 'var/lib/dpkg/status.d', type: 'dir' }];
    expect(await detect([layer])).toEqual({
      id: 'debian',
      idLike: [],
      source: '/var/lib/dpkg/status.d',
    });
  });

  it('survives an os-release symlink loop and uses the next file', async () => {
    const layer: TarEntry[] = [
      { path: 'etc/os-release', type: 'symlink', linkTarget: 'os-release2' },
      { path: 'etc/os-release2', type: 'symlink', linkTarget: 'os-release' },
      { path: 'etc/alpine-release', content: '3.18.4\n' },
    ];
    expect(await detect([layer])).toMatchObject({ id: 'alpine', versionId: '3.18.4' });
  });
});

describe('parseOsRelease', () => {
  it('follows the os-release(5) quoting rules', () => {
    const text = [
      '# a comment line',
      '   ',
      'PLAIN=value',
      'DOUBLE="two words"',
      "SINGLE='it''s \\n literal'",
      'ESCAPED="a \\"quoted\\" \\$HOME \\\\ \\` tick \\x"',
      'UNQUOTED_ESCAPE=a\\ b',
      'JOINED="one"\'two\'three',
      'TRAILING=value # comment after blank',
      'EMPTY=',
      'not an assignment',
      '1BAD=x',
      'PLAIN=later wins',
    ].join('\n');
    expect(Object.fromEntries(parseOsRelease(text))).toEqual({
      PLAIN: 'later',
      DOUBLE: 'two words',
      SINGLE: 'its \\n literal',
      ESCAPED: 'a "quoted" $HOME \\ ` tick \\x',
      UNQUOTED_ESCAPE: 'a b',
      JOINED: 'onetwothree',
      TRAILING: 'value',
      EMPTY: '',
    });
  });

  it('reads CRLF files and an unterminated quote to the end of the line', () => {
    const fields = parseOsRelease('ID=debian\r\nPRETTY_NAME="Debian GNU/Linux\r\n');
    expect(fields.get('ID')).toBe('debian');
    expect(fields.get('PRETTY_NAME')).toBe('Debian GNU/Linux');
  });

  it('never throws or hangs on random and mutated input (seeded)', () => {
    const random = seededRandom(0x05e1ea5e);
    const alphabet = 'ID=VERSION_"\'\\$` #\n\t\r=abc\u0000\u00ff';
    const real = [...IMAGES.values()]
      .flat()
      .map((e) => (typeof e.content === 'string' ? e.content : ''))
      .join('');
    for (let round = 0; round < 400; round++) {
      const length = random(round % 50 === 0 ? 200_000 : 400);
      let text = '';
      if (round % 2 === 0) {
        for (let i = 0; i < length; i++) text += alphabet.charAt(random(alphabet.length));
      } else {
        const chars = Array.from(real);
        for (let i = 0; i < 20; i++) chars[random(chars.length)] = alphabet.charAt(random(13));
        text = chars.join('');
      }
      const fields = parseOsRelease(text);
      for (const [key, value] of fields) {
        expect(key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        expect(value.length).toBeLessThanOrEqual(text.length);
      }
      for (const path of ['/etc/SuSE-release', '/etc/lsb-release', '/etc/redhat-release'])
        parseLegacyRelease(path, text);
    }
  });
});
