/**
 * The java and go catalogers against real archives and binaries, checked by the real tools:
 * Debian's jars against `unzip -p` of their pom.properties; wars and ears built with the JDK's
 * `jar` tool; Debian's Go programs and a module binary built here with `go build`, against
 * `go version -m` (needs golang-go). Everything runs through the real layer pipeline.
 */
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeImage } from '../src/analyzer/analyze-image.js';
import { ImageCataloger } from '../src/catalog/catalog-image.js';
import { BuildInfoSink, type GoBuildInfo } from '../src/catalog/lang/go-buildinfo.js';
import { readJavaArchive } from '../src/catalog/lang/java.js';
import { DEFAULT_LIMITS, type Package } from '../src/model/index.js';
import { openOciLayout } from '../src/source/archive/oci-layout.js';
import { buildImage, writeOciLayout } from './harness/image-builder.js';
import type { TarEntry } from './harness/tar-writer.js';

const work = mkdtempSync(join(tmpdir(), 'drydock-java-go-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});
const run = (command: string, args: string[], cwd = work, env = process.env): string =>
  execFileSync(command, args, { cwd, env, maxBuffer: 64 * 1024 ** 2 }).toString();

const DEBIAN_JARS = readdirSync('/usr/share/java')
  .filter((name) => name.endsWith('.jar'))
  .map((name) => join('/usr/share/java', name))
  .filter((path) => lstatSync(path).isFile());
// Debian's unversioned names are symlinks to these.

/** What `unzip` says the jar's pom.properties hold: groupId:artifactId:version each. */
function unzipPomProperties(jar: string): string[] {
  const names = run('unzip', ['-Z1', jar]).split('\n');
  return names
    .filter((name) => /^META-INF\/maven\/.+\/pom\.properties$/.test(name))
    .map((name) => {
      const fields = new Map(
        run('unzip', ['-p', jar, name])
          .split('\n')
          .map((line) => line.trim().split('=', 2) as [string, string | undefined])
          .map(([key, value]) => [key, value ?? ''] as const),
      );
      return `${fields.get('groupId') ?? ''}:${fields.get('artifactId') ?? ''}:${fields.get('version') ?? ''}`;
    })
    .sort();
}

describe('java archives against unzip', () => {
  it('has Debian jars to read', () => {
    expect(DEBIAN_JARS).toContain('/usr/share/java/commons-lang3.jar');
  });

  it.each(DEBIAN_JARS)('%s: one package per pom.properties, as unzip reads them', (jar) => {
    const value = readJavaArchive(readFileSync(jar), jar.slice(jar.lastIndexOf('/') + 1));
    expect(value.warnings).toEqual([]);
    const ours = value.packages
      .filter((p) => p.source === 'pom.properties')
      .map((p) => `${p.groupId ?? ''}:${p.name}:${p.version}`)
      .sort();
    expect(ours).toEqual(unzipPomProperties(jar));
    const sha1 = run('sha1sum', [jar]).split(' ')[0];
    for (const found of value.packages) expect(found.sha1).toBe(sha1);
  });
});

/** An image holding the given files, analysed with the java and go catalogers only. */
async function catalogImage(
  files: TarEntry[],
): Promise<{ packages: Package[]; warnings: string[] }> {
  const layout = join(work, `layout-${String(Math.random()).slice(2)}`);
  await writeOciLayout(
    layout,
    buildImage({ layers: [{ entries: files, compression: 'none' }] }),
    'v1',
  );
  const [image] = await openOciLayout(layout, 'v1', { limits: DEFAULT_LIMITS }).resolve({
    os: 'linux',
    architecture: 'amd64',
  });
  if (image === undefined) throw new Error('layout resolved to nothing');
  const cataloger = new ImageCataloger({ select: ['java', 'go'], secrets: false });
  const { analysis } = await analyzeImage(image, {
    limits: DEFAULT_LIMITS,
    collectors: [],
    cataloger,
  });
  rmSync(layout, { recursive: true, force: true });
  return { packages: analysis.content?.packages ?? [], warnings: analysis.warnings };
}

describe('nested java archives built with the jar tool', () => {
  let ear: Buffer;
  const lang3 = readFileSync('/usr/share/java/commons-lang3.jar');

  beforeAll(() => {
    const tree = (dir: string, files: Record<string, string | Buffer>): string => {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(join(work, dir, path, '..'), { recursive: true });
        writeFileSync(join(work, dir, path), content);
      }
      return join(work, dir);
    };
    const jar = (archive: string, dir: string): void => {
      run('jar', ['--create', '--file', join(work, archive), '-C', dir, '.']);
    };
    jar(
      'inner-lib-0.9.jar',
      tree('inner', {
        'META-INF/maven/org.example/inner-lib/pom.properties':
          'groupId=org.example\nartifactId=inner-lib\nversion=0.9\n',
      }),
    );
    jar(
      'middle-lib-1.5.jar',
      tree('middle', { 'lib/inner-lib-0.9.jar': readFileSync(join(work, 'inner-lib-0.9.jar')) }),
    );
    jar(
      'shop.war',
      tree('war', {
        'WEB-INF/lib/middle-lib-1.5.jar': readFileSync(join(work, 'middle-lib-1.5.jar')),
        'WEB-INF/lib/commons-lang3-3.12.0.jar': lang3,
        'index.html': '<p>shop</p>',
      }),
    );
    jar('shop.ear', tree('ear', { 'shop.war': readFileSync(join(work, 'shop.war')) }));
    ear = readFileSync(join(work, 'shop.ear'));
  });

  it('finds packages at every depth with virtual paths and nested sha1s', async () => {
    const { packages, warnings } = await catalogImage([
      { path: 'opt/', type: 'dir' },
      { path: 'opt/shop.ear', content: ear },
    ]);
    expect(warnings).toEqual([]);
    const lang3Path = '/opt/shop.ear:shop.war:WEB-INF/lib/commons-lang3-3.12.0.jar';
    expect(packages.map((p) => [p.name, p.version, p.locations[0]?.path]).sort()).toEqual(
      [
        ['commons-lang3', '3.12.0', lang3Path],
        [
          'inner-lib',
          '0.9',
          '/opt/shop.ear:shop.war:WEB-INF/lib/middle-lib-1.5.jar:lib/inner-lib-0.9.jar',
        ],
        ['middle-lib', '1.5', '/opt/shop.ear:shop.war:WEB-INF/lib/middle-lib-1.5.jar'],
        ['shop', '', '/opt/shop.ear'],
        ['shop', '', '/opt/shop.ear:shop.war'],
      ].sort(),
    );
    const commons = packages.find((p) => p.name === 'commons-lang3');
    expect(commons).toMatchObject({
      type: 'java',
      purl: 'pkg:maven/org.apache.commons/commons-lang3@3.12.0',
      metadata: {
        groupId: 'org.apache.commons',
        implementationVersion: '3.12.0',
        specificationVersion: '3.12',
        mavenVersion: '3.12.0',
        sha1: run('sha1sum', ['/usr/share/java/commons-lang3.jar']).split(' ')[0],
      },
    });
    expect(commons?.cpes).toContain('cpe:2.3:a:apache:commons-lang3:3.12.0:*:*:*:*:*:*:*');
  });

  it('refuses archives nested too deep and a nested zip bomb, with warnings', async () => {
    run('python3', [join(import.meta.dirname, 'fixtures/java/make_jars.py'), work, '64']);
    const { packages, warnings } = await catalogImage([
      { path: 'app/', type: 'dir' },
      { path: 'app/deep.jar', content: readFileSync(join(work, 'deep.jar')) },
      { path: 'app/bomb.jar', content: readFileSync(join(work, 'bomb.jar')) },
    ]);
    expect(packages.filter((p) => p.name.startsWith('level'))).toHaveLength(9);
    expect(warnings.some((w) => /deep\.jar: .*nested deeper than 8 archives/.test(w))).toBe(true);
    // Ten jars of 64 MiB (and a few bytes) each against a 512 MiB budget: seven fit.
    expect(warnings.filter((w) => /bomb\.jar: .*a zip bomb\?/.test(w))).toHaveLength(3);
  });
});

/** `go version -m` output, read into the same shape as ours. */
function goVersionM(binary: string): GoBuildInfo {
  const [first = '', ...lines] = run('go', ['version', '-m', binary]).split('\n');
  const info: GoBuildInfo = {
    goVersion: first.slice(first.lastIndexOf(' ') + 1),
    path: '',
    deps: [],
    settings: [],
  };
  let last: GoBuildInfo['deps'][number] | undefined;
  for (const line of lines) {
    const [, kind, ...fields] = line.split('\t');
    const module = (): GoBuildInfo['deps'][number] => {
      const [path = '', version = '', sum = ''] = fields;
      return sum === '' ? { path, version } : { path, version, sum };
    };
    if (kind === 'path') info.path = fields[0] ?? '';
    if (kind === 'mod') info.main = last = module();
    if (kind === 'dep') info.deps.push((last = module()));
    if (kind === '=>' && last !== undefined) last.replace = module();
    if (kind === 'build') {
      const setting = fields.join('\t');
      const equals = setting.indexOf('=');
      info.settings.push([setting.slice(0, equals), setting.slice(equals + 1)]);
    }
  }
  return info;
}

/** Our build info of `binary`, streamed from disk in the read stream's own chunks. */
async function streamedBuildInfo(binary: string): Promise<unknown> {
  const sink = new BuildInfoSink(lstatSync(binary).size);
  for await (const chunk of createReadStream(binary)) sink.write(chunk as Buffer);
  return sink.end();
}

describe('go binaries against go version -m', () => {
  let hello: string;

  beforeAll(async () => {
    // A module binary with a dependency replaced by a local directory: no network needed.
    await cp(join(import.meta.dirname, 'fixtures/go'), join(work, 'go'), { recursive: true });
    hello = join(work, 'hello');
    const env = {
      ...process.env,
      GOFLAGS: '-mod=mod',
      GOPROXY: 'off',
      GOCACHE: join(work, 'gocache'),
      GOPATH: join(work, 'gopath'),
      CGO_ENABLED: '0',
    };
    run('go', ['build', '-o', hello, '.'], join(work, 'go/hello'), env);
  }, 240_000);

  it.each(['/usr/bin/docker-registry', '/usr/bin/skopeo', 'HELLO'])('%s', async (name) => {
    const binary = name === 'HELLO' ? hello : name;
    const oracle = goVersionM(binary);
    expect(oracle.path).not.toBe('');
    // Settings are compared by key: `go version -m` prints values quoted, we keep them unquoted.
    const ours = (await streamedBuildInfo(binary)) as { buildInfo: GoBuildInfo };
    expect({ ...ours.buildInfo, settings: ours.buildInfo.settings.map(([key]) => key) }).toEqual({
      ...oracle,
      settings: oracle.settings.map(([key]) => key),
    });
  });

  it('catalogs the module binary: main module (devel), the dependency, its replacement', async () => {
    const { packages, warnings } = await catalogImage([
      { path: 'usr/', type: 'dir' },
      { path: 'usr/bin/', type: 'dir' },
      { path: 'usr/bin/hello', mode: 0o755, content: readFileSync(hello) },
      {
        path: 'usr/bin/docker-registry',
        mode: 0o755,
        content: readFileSync('/usr/bin/docker-registry'),
      },
    ]);
    expect(warnings).toEqual([]);
    const goVersion = goVersionM(hello).goVersion;
    expect(
      packages.map((p) => [p.name, p.version, p.purl, p.locations[0]?.path, p.metadata]),
    ).toEqual([
      [
        'example.com/drydock/hello',
        '(devel)',
        'pkg:golang/example.com/drydock/hello@(devel)',
        '/usr/bin/hello',
        { goVersion, mainModule: 'example.com/drydock/hello', architecture: 'amd64' },
      ],
      [
        'example.com/greet',
        'v1.2.3',
        'pkg:golang/example.com/greet@v1.2.3',
        '/usr/bin/hello',
        {
          goVersion,
          mainModule: 'example.com/drydock/hello',
          architecture: 'amd64',
          replacedBy: '../greet',
        },
      ],
    ]);
  });
});
