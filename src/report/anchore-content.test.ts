import { describe, expect, it } from 'vitest';
import { SAMPLE_ANALYSIS } from '../../test/fixtures/sbom/sample-analysis.js';
import {
  ANCHORE_CONTENT_TYPES,
  anchoreContent,
  anchoreContentJson,
  anchoreContentTable,
  contentCounts,
  type AnchoreContentInput,
} from './anchore-content.js';

const INPUT: AnchoreContentInput = {
  imageDigest: SAMPLE_ANALYSIS.metadata.manifestDigest ?? '',
  files: SAMPLE_ANALYSIS.files,
  content: SAMPLE_ANALYSIS.content ?? { packages: [], secrets: [], retainedFiles: [] },
};

describe('anchoreContent', () => {
  it('wraps entries as Anchore does: imageDigest, content_type, content', () => {
    const response = anchoreContent(INPUT, 'gem');
    expect(response).toEqual({
      imageDigest: INPUT.imageDigest,
      content_type: 'gem',
      content: [
        {
          package: 'rake',
          type: 'GEM',
          location: '/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec',
          version: '13.0.6',
          origin: 'Unknown',
          license: 'MIT',
          licenses: ['MIT'],
          cpes: [],
        },
      ],
    });
  });

  it('os: every distribution package with origin, size, source package; dpkg/APKG/rpm types', () => {
    const os = anchoreContent(INPUT, 'os').content;
    expect(os.map((e) => ('package' in e ? e.package : ''))).toEqual([
      'bash',
      'python3-requests',
      'openssl-libs',
      'musl',
    ]);
    expect(os[0]).toEqual({
      package: 'bash',
      version: '5.2.15-2+b2',
      size: '7000000',
      type: 'dpkg',
      origin: 'Matthias Klose <doko@debian.org> (maintainer)',
      license: 'GPL-3.0-or-later GPLv3+ with exceptions',
      licenses: ['GPL-3.0-or-later', 'GPLv3+', 'with', 'exceptions'],
      cpes: SAMPLE_ANALYSIS.content?.packages[0]?.cpes,
      sourcepkg: 'bash',
    });
    expect(os[2]).toMatchObject({
      type: 'rpm',
      version: '1:3.0.7-25.el9',
      size: 'N/A',
      origin: 'Rocky Enterprise Software Foundation',
      sourcepkg: 'openssl-3.0.7-25.el9.src.rpm',
      license: 'ASL 2.0',
    });
    expect(os[3]).toMatchObject({
      type: 'APKG',
      origin: 'Timo Teräs <timo.teras@iki.fi>',
      sourcepkg: 'musl',
    });
  });

  it('python: located at its site-packages directory, origin is the author and email', () => {
    expect(anchoreContent(INPUT, 'python').content).toEqual([
      {
        package: 'requests',
        type: 'PYTHON',
        location: '/usr/lib/python3/dist-packages',
        version: '2.28.1',
        origin: 'Kenneth Reitz <me@kennethreitz.org>',
        license: 'Apache 2.0',
        licenses: ['Apache 2.0'],
        cpes: ['cpe:2.3:a:python-requests:requests:2.28.1:*:*:*:*:python:*:*'],
      },
    ]);
  });

  it('java: JAVA-JAR with manifest and Maven versions, origin the groupId, pom.properties', () => {
    expect(anchoreContent(INPUT, 'java').content).toEqual([
      {
        package: 'commons-lang3',
        type: 'JAVA-JAR',
        location: '/app/lib/commons-lang3-3.12.0.jar',
        'specification-version': '3.12',
        'implementation-version': '3.12.0',
        'maven-version': '3.12.0',
        origin: 'org.apache.commons',
        cpes: ['cpe:2.3:a:apache:commons-lang3:3.12.0:*:*:*:*:*:*:*'],
        metadata: {
          'pom.properties':
            '\ngroupId=org.apache.commons\nartifactId=commons-lang3\nversion=3.12.0\n',
        },
        version: '3.12.0',
      },
    ]);
  });

  it('go: the default shape, N/A where Go has nothing; binary: empty (no binary cataloger)', () => {
    expect(anchoreContent(INPUT, 'go').content).toEqual([
      {
        package: 'golang.org/x/net',
        type: 'GO',
        location: '/app/server',
        version: 'v0.17.0',
        origin: 'N/A',
        license: 'N/A',
        licenses: ['N/A'],
        cpes: [],
      },
    ]);
    expect(anchoreContent(INPUT, 'binary').content).toEqual([]);
  });

  it('files: five-digit octal modes, slink and dev types, null sha256 for non-files', () => {
    const files = anchoreContent(INPUT, 'files').content;
    expect(files).toHaveLength(SAMPLE_ANALYSIS.files.length);
    expect(files).toContainEqual({
      filename: '/bin/su',
      gid: 0,
      linkdest: null,
      mode: '04755',
      sha256: 'c'.repeat(64),
      size: 72000,
      type: 'file',
      uid: 0,
    });
    expect(files).toContainEqual({
      filename: '/bin/sh',
      gid: 0,
      linkdest: 'bash',
      mode: '00777',
      sha256: null,
      size: 4,
      type: 'slink',
      uid: 0,
    });
    expect(files).toContainEqual({
      filename: '/dev/null',
      gid: 0,
      linkdest: null,
      mode: '00666',
      sha256: null,
      size: 0,
      type: 'dev',
      uid: 0,
    });
    expect(files).toContainEqual(
      expect.objectContaining({
        filename: '/usr/bin/python3',
        type: 'file',
        linkdest: null,
        size: 6_000_000,
      }),
    );
    expect(files).toContainEqual(
      expect.objectContaining({ filename: '/app', type: 'dir', mode: '00755' }),
    );
  });
});

describe('contentCounts', () => {
  it('counts entries of every type', () => {
    expect(contentCounts(INPUT)).toEqual({
      os: 4,
      files: 7,
      npm: 2,
      gem: 1,
      python: 1,
      java: 1,
      binary: 0,
      go: 1,
    });
    expect(Object.keys(contentCounts(INPUT))).toEqual([...ANCHORE_CONTENT_TYPES]);
  });
});

describe('anchoreContentJson', () => {
  it('is the response as JSON, an array for several images', () => {
    expect(JSON.parse([...anchoreContentJson([INPUT], 'npm', false)].join(''))).toEqual(
      anchoreContent(INPUT, 'npm'),
    );
    expect(JSON.parse([...anchoreContentJson([INPUT, INPUT], 'binary', true)].join(''))).toEqual([
      anchoreContent(INPUT, 'binary'),
      anchoreContent(INPUT, 'binary'),
    ]);
  });
});

describe('anchoreContentTable', () => {
  const lines = (type: Parameters<typeof anchoreContentTable>[1]) =>
    anchoreContentTable(INPUT, type).split('\n');

  it('os: Package Version Licenses, sorted by package', () => {
    expect(lines('os')[0]).toMatch(/^Package\s+Version\s+Licenses$/);
    expect(
      lines('os')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['bash', 'musl', 'openssl-libs', 'python3-requests']);
  });

  it('files: Filename Size, largest first', () => {
    expect(lines('files')[0]).toMatch(/^Filename\s+Size$/);
    expect(lines('files')[1]).toMatch(/^\/usr\/bin\/python3\s+6000000$/);
  });

  it('java and npm use anchore-cli headers', () => {
    expect(lines('java')[0]).toMatch(
      /^Package\s+Specification-Version\s+Implementation-Version\s+Location$/,
    );
    expect(lines('npm')).toEqual([
      expect.stringMatching(/^Package\s+Version\s+Location$/),
      expect.stringMatching(
        /^@types\/node\s+20\.11\.5\s+\/app\/node_modules\/@types\/node\/package\.json$/,
      ),
      expect.stringMatching(/^left-pad\s+1\.3\.0\s+\/app\/node_modules\/left-pad\/package\.json$/),
    ]);
  });
});
