/**
 * A generated OSV dump for the vulnerability benchmarks: an `all.zip` as osv.dev publishes it
 * (one indented JSON record per member, flat names `<id>.json`), made by Info-ZIP `zip` from
 * records drawn from a seeded PRNG, so the same parameters give the same records on every run.
 *
 * The mix, per 20 records: 9 DEBIAN-CVE (Debian:11/12/13, ECOSYSTEM ranges, `urgency`, some with
 * `versions` lists), 2 DSA/DLA (`related` CVEs, `versions`), 5 npm GHSA (SEMVER ranges, CVSS
 * vectors, `database_specific`, some withdrawn), 2 PyPI GHSA (ECOSYSTEM ranges) and 2 PYSEC (long
 * `versions` lists and GIT ranges). Details run from a few hundred bytes to a few KB. Package
 * names follow a Zipf law, as in real feeds: `linux` alone has thousands of Debian records.
 *
 * `benchPackages` lists packages to match against the same dump: a share of them (7%) are
 * named by records there, at a version the first of those records affects.
 */
import { spawn } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { seededRandom } from '../test/harness/random.js';

/** Bump whenever the generated records change, so a cached dump is made again. */
export const GENERATOR_VERSION = 1;
export const DEFAULT_SEED = 0x05f0;

export interface DumpParameters {
  records: number;
  seed: number;
}

export interface OsvDump extends DumpParameters {
  file: string;
  zipBytes: number;
  /** Bytes of JSON in all the members. */
  jsonBytes: number;
}

export interface BenchPackage {
  /** As the feed names it: the source package for Debian. */
  name: string;
  version: string;
  /** `Debian:12`, `npm` or `PyPI`. */
  ecosystem: string;
  /** Whether records in the dump name it (at this version, the first of them affects it). */
  hit: boolean;
}

type Kind = 'debian-cve' | 'debian-advisory' | 'npm' | 'pypi-ghsa' | 'pysec';
type Pool = 'debian' | 'npm' | 'pypi';

/** One cycle of the mix; record i is of kind CYCLE[i % 20]. */
const CYCLE: readonly Kind[] = [
  ...['debian-cve', 'npm', 'debian-cve', 'pypi-ghsa', 'debian-cve', 'npm', 'debian-advisory'],
  ...['debian-cve', 'pysec', 'debian-cve', 'npm', 'debian-cve', 'pypi-ghsa', 'debian-cve'],
  ...['npm', 'debian-advisory', 'debian-cve', 'pysec', 'debian-cve', 'npm'],
] as Kind[];

const POOL_OF: Record<Kind, Pool> = {
  'debian-cve': 'debian',
  'debian-advisory': 'debian',
  npm: 'npm',
  'pypi-ghsa': 'pypi',
  pysec: 'pypi',
};
/** The kind whose k-th record names package k of its pool, so every used name has a record. */
const COVERING_KIND: Record<Pool, Kind> = { debian: 'debian-cve', npm: 'npm', pypi: 'pypi-ghsa' };
/** Most names a pool draws from; fewer when the dump is too small to cover them. */
const POOL_NAMES: Record<Pool, number> = { debian: 3_000, npm: 12_000, pypi: 5_000 };
const ZIPF_EXPONENT = 1;
/** The ecosystems benchPackages lists, each with its share of the list. */
const PACKAGE_MIX: readonly [Pool, string, number][] = [
  ['debian', 'Debian:12', 0.3],
  ['npm', 'npm', 0.5],
  ['pypi', 'PyPI', 0.2],
];
/** The share of benchPackages' packages that records in the dump name. */
const HIT_SHARE = 0.07;

/** Real names at the head of each pool: the packages real feeds name most. */
const HEADS: Record<Pool, string[]> = {
  debian: (
    'linux chromium firefox-esr thunderbird openjdk-17 imagemagick qemu php8.2 mysql-8.0 ' +
    'wireshark tcpdump xen gpac binutils glibc openssl curl tiff libxml2 vim ghostscript ' +
    'webkit2gtk mariadb postgresql-15 python3.11 ruby3.1 nodejs golang-1.19 samba git'
  ).split(' '),
  npm: (
    'lodash axios express minimist node-fetch ws jsonwebtoken moment semver tar ' +
    'handlebars marked ejs undici next electron angular vue jquery bootstrap'
  ).split(' '),
  pypi: (
    'tensorflow django pillow jinja2 requests urllib3 cryptography pyyaml numpy flask ' +
    'aiohttp werkzeug sqlalchemy lxml paramiko ansible mlflow gradio transformers setuptools'
  ).split(' '),
};
const SYLLABLES = (
  'ka lo mi ne ru sa te vo an el in or un ba co de fi gu ha jo ke li ma no pe qu ri so tu va ' +
  'we xi yo ze pro lib net web gtk qt xml json http ssl zip img log'
).split(' ');
const WORDS = (
  'a an the of in to and or is was by with when for from that this via allows remote local ' +
  'attacker user crafted malicious request file input buffer overflow heap stack use after free ' +
  'out bounds read write null pointer dereference denial service memory leak integer ' +
  'injection cross site scripting path traversal arbitrary code execution privilege escalation ' +
  'authentication bypass improper validation sanitization parser function module component ' +
  'version versions prior before fixed issue vulnerability could cause crash leading certain ' +
  'configuration header cookie session token certificate signature handling race condition ' +
  'regular expression exponential backtracking deserialization untrusted data command shell'
).split(' ');
const URGENCIES = ['not yet assigned', 'unimportant', 'low', 'medium', 'high', 'end-of-life'];
const GHSA_SEVERITIES = ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'];
const CWES = ['CWE-79', 'CWE-20', 'CWE-400', 'CWE-1333', 'CWE-22', 'CWE-94', 'CWE-787', 'CWE-125'];
const GHSA_ALPHABET = '23456789cfghjmpqrvwx';
const DAY_MS = 86_400_000;
const EPOCH_2014 = Date.UTC(2014, 0, 1);

/** Where a dump of these parameters is kept under `dir`. */
export function dumpFile(dir: string, { records, seed }: DumpParameters): string {
  return join(dir, `osv-all-${records}-s${seed}-v${GENERATOR_VERSION}.zip`);
}

/** The dump for `parameters` under `dir`: made on first use (Info-ZIP `zip`), then reused. */
export async function ensureOsvDump(
  dir: string,
  parameters: DumpParameters,
): Promise<{ dump: OsvDump; built: boolean }> {
  const file = dumpFile(dir, parameters);
  const statsFile = `${file}.json`;
  if (existsSync(file) && existsSync(statsFile))
    return { dump: JSON.parse(await readFile(statsFile, 'utf8')) as OsvDump, built: false };
  const members = join(dir, `members-${process.pid}`);
  await rm(members, { recursive: true, force: true });
  await mkdir(members, { recursive: true });
  try {
    const names: string[] = [];
    let jsonBytes = 0;
    // A fixed time on every member: the same parameters give the same zip bytes.
    const mtime = new Date(EPOCH_2014);
    for (const { name, json } of osvRecords(parameters)) {
      writeFileSync(join(members, name), json);
      utimesSync(join(members, name), mtime, mtime);
      names.push(name);
      jsonBytes += Buffer.byteLength(json);
    }
    await zipNames(members, `${file}.partial`, names);
    await rename(`${file}.partial`, file);
    const dump: OsvDump = { ...parameters, file, zipBytes: (await stat(file)).size, jsonBytes };
    await writeFile(statsFile, `${JSON.stringify(dump, null, 2)}\n`);
    return { dump, built: true };
  } finally {
    await rm(members, { recursive: true, force: true });
  }
}

/** `zip -X -q out -@` in `cwd`, the names in this order on stdin. */
async function zipNames(cwd: string, out: string, names: readonly string[]): Promise<void> {
  await rm(out, { force: true });
  const child = spawn('zip', ['-q', '-X', out, '-@'], { cwd, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.end(`${names.join('\n')}\n`);
  const code = await done;
  if (code !== 0)
    throw new Error(`zip exited ${code}: ${stderr.trim()} (is Info-ZIP zip installed?)`);
}

/** The dump's records in member order, as `<id>.json` and the indented JSON osv.dev writes. */
export function* osvRecords(parameters: DumpParameters): Generator<{ name: string; json: string }> {
  const generator = new RecordGenerator(parameters);
  for (let i = 0; i < parameters.records; i++) {
    const record = generator.record(i);
    yield { name: `${record.id}.json`, json: JSON.stringify(record, null, 2) };
  }
}

/**
 * `count` packages to match against the dump of `parameters`: 30% Debian:12, 50% npm, 20% PyPI,
 * of which about 7% are named by records in the dump (at a version the first such record
 * affects); the others are names no record mentions.
 */
export function benchPackages(count: number, parameters: DumpParameters): BenchPackage[] {
  const pools = new PackagePools(parameters);
  const random = seededRandom(parameters.seed ^ 0x9ac4);
  const misses: Record<Pool, number> = { debian: 0, npm: 0, pypi: 0 };
  const packages: BenchPackage[] = [];
  for (let i = 0; i < count; i++) {
    const [pool, ecosystem] = pickMix(random(1_000_000) / 1_000_000);
    const hit = random(1_000_000) < HIT_SHARE * 1_000_000;
    const rank = hit ? random(pools.used(pool)) : pools.used(pool) + misses[pool]++;
    const { name, version } = pools.get(pool, rank);
    packages.push({ name, version, ecosystem, hit });
  }
  return packages;
}

function pickMix(x: number): [Pool, string] {
  let sum = 0;
  for (const [pool, ecosystem, share] of PACKAGE_MIX) {
    sum += share;
    if (x < sum) return [pool, ecosystem];
  }
  return ['npm', 'npm'];
}

/** How many of the first `records` records are of `kind`. */
function countOfKind(kind: Kind, records: number): number {
  const perCycle = CYCLE.filter((k) => k === kind).length;
  const rest = CYCLE.slice(0, records % CYCLE.length).filter((k) => k === kind).length;
  return Math.floor(records / CYCLE.length) * perCycle + rest;
}

interface PoolPackage {
  name: string;
  /** The version the package's covering record affects (its first record is fixed above it). */
  version: string;
  major: number;
  minor: number;
  patch: number;
}

/**
 * Package names per ecosystem. The dump draws from the first `used(pool)` of each; names past
 * those appear in no record. Each pool is made from the seed alone, in its own order, so
 * benchPackages sees the same names as the dump whatever it asks for first.
 */
class PackagePools {
  private readonly pools: Record<Pool, PoolNames>;
  private readonly sizes: Record<Pool, number>;

  constructor({ records, seed }: DumpParameters) {
    const covering = (pool: Pool) => countOfKind(COVERING_KIND[pool], records);
    this.pools = {
      debian: new PoolNames('debian', seed),
      npm: new PoolNames('npm', seed),
      pypi: new PoolNames('pypi', seed),
    };
    this.sizes = {
      debian: Math.max(1, Math.min(POOL_NAMES.debian, covering('debian'))),
      npm: Math.max(1, Math.min(POOL_NAMES.npm, covering('npm'))),
      pypi: Math.max(1, Math.min(POOL_NAMES.pypi, covering('pypi'))),
    };
  }

  used(pool: Pool): number {
    return this.sizes[pool];
  }

  get(pool: Pool, rank: number): PoolPackage {
    return this.pools[pool].get(rank);
  }
}

/** The distinct names of one ecosystem, real ones first, each with a version. */
class PoolNames {
  private readonly packages: PoolPackage[] = [];
  private readonly taken = new Set<string>();
  private readonly random: (n: number) => number;

  constructor(
    private readonly pool: Pool,
    seed: number,
  ) {
    this.random = seededRandom(seed ^ { debian: 0xde61, npm: 0x0e9a, pypi: 0x9b91 }[pool]);
  }

  /** Package `rank`, made (with all before it) on first use. */
  get(rank: number): PoolPackage {
    while (this.packages.length <= rank) {
      const name = HEADS[this.pool][this.packages.length] ?? this.inventName();
      if (this.taken.has(name)) continue;
      this.taken.add(name);
      const [major, minor, patch] = [1 + this.random(9), this.random(20), this.random(30)];
      const upstream = `${major}.${minor}.${patch}`;
      const version = this.pool === 'debian' ? `${upstream}-${1 + this.random(4)}` : upstream;
      this.packages.push({ name, version, major, minor, patch });
    }
    return this.packages[rank] as PoolPackage;
  }

  private inventName(): string {
    const syllables = 2 + this.random(3);
    let name = '';
    for (let i = 0; i < syllables; i++) name += SYLLABLES[this.random(SYLLABLES.length)] ?? '';
    if (this.pool === 'debian' && this.random(4) === 0) return `lib${name}`;
    if (this.pool === 'npm' && this.random(5) === 0) return `@${name.slice(0, 4)}/${name}`;
    if (this.pool !== 'debian' && this.random(4) === 0)
      return `${name}-${SYLLABLES[this.random(8)] ?? 'x'}`;
    return name;
  }
}

/** Draws ranks 0…n-1 with weight 1/(rank+1)^s. */
class Zipf {
  private readonly cumulative: number[] = [];

  constructor(n: number) {
    let sum = 0;
    for (let rank = 0; rank < n; rank++)
      this.cumulative.push((sum += 1 / (rank + 1) ** ZIPF_EXPONENT));
  }

  draw(random: (n: number) => number): number {
    const total = this.cumulative[this.cumulative.length - 1] ?? 0;
    const x = (random(2 ** 30) / 2 ** 30) * total;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.cumulative[mid] ?? 0) < x) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

type Json = Record<string, unknown>;
/** An OSV record as written to the dump. */
type OsvJson = Json & { id: string };

/** Makes record i of the dump; records must be asked for in order. */
class RecordGenerator {
  private readonly random: (n: number) => number;
  private readonly pools: PackagePools;
  private readonly zipf: Record<Pool, Zipf>;
  private readonly seen: Record<Kind, number> = {
    'debian-cve': 0,
    'debian-advisory': 0,
    npm: 0,
    'pypi-ghsa': 0,
    pysec: 0,
  };
  /** Text the details are cut from: made once, so records cost slices, not words. */
  private readonly prose: string;

  constructor(parameters: DumpParameters) {
    this.random = seededRandom(parameters.seed);
    this.pools = new PackagePools(parameters);
    this.zipf = {
      debian: new Zipf(this.pools.used('debian')),
      npm: new Zipf(this.pools.used('npm')),
      pypi: new Zipf(this.pools.used('pypi')),
    };
    this.prose = this.makeProse(200_000);
  }

  record(i: number): OsvJson {
    const kind = CYCLE[i % CYCLE.length] as Kind;
    const k = this.seen[kind]++;
    const pool = POOL_OF[kind];
    const covering = kind === COVERING_KIND[pool] && k < this.pools.used(pool);
    const pkg = this.pools.get(pool, covering ? k : this.zipf[pool].draw(this.random));
    const cve = `CVE-${2014 + (i % 12)}-${10_000 + Math.floor(i / 12)}`;
    switch (kind) {
      case 'debian-cve':
        return this.debianCve(cve, pkg, covering);
      case 'debian-advisory':
        return this.debianAdvisory(i, cve, pkg);
      case 'npm':
        return this.ghsa(i, cve, pkg, 'npm', 'SEMVER', covering);
      case 'pypi-ghsa':
        return this.ghsa(i, cve, pkg, 'PyPI', 'ECOSYSTEM', covering);
      case 'pysec':
        return this.pysec(i, cve, pkg);
    }
  }

  private debianCve(cve: string, pkg: PoolPackage, covering: boolean): OsvJson {
    const releases = ['Debian:11', 'Debian:12', 'Debian:13'].filter(
      (release) => release === 'Debian:12' || this.chance(0.75),
    );
    const modified = this.time(3650, 330);
    return {
      id: `DEBIAN-${cve}`,
      upstream: [cve],
      modified: modified.toISOString(),
      published: this.before(modified),
      details: this.text(100, 700),
      affected: releases.map((release) => ({
        package: {
          ecosystem: release,
          name: pkg.name,
          purl: `pkg:deb/debian/${pkg.name}?arch=source`,
        },
        ranges: [{ type: 'ECOSYSTEM', events: this.events(pkg, 'debian', covering) }],
        ...(this.chance(0.3)
          ? { versions: this.versions(pkg, 'debian', 1 + this.random(40)) }
          : {}),
        ecosystem_specific: { urgency: this.pick(URGENCIES) },
      })),
      references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${cve}` }],
      schema_version: '1.6.0',
    };
  }

  private debianAdvisory(i: number, cve: string, pkg: PoolPackage): OsvJson {
    const lts = this.chance(0.5);
    const id = lts ? `DLA-${1000 + i}-1` : `DSA-${1000 + i}-1`;
    const related = Array.from(
      { length: 1 + this.random(12) },
      (_, n) => `${cve.slice(0, 9)}${20_000 + n * 7 + this.random(7)}`,
    );
    const modified = this.time(3650, 330);
    return {
      id,
      summary: `${pkg.name} - security update`,
      modified: modified.toISOString(),
      published: this.before(modified),
      related,
      details: this.text(80, 400),
      affected: [
        {
          package: {
            ecosystem: lts ? 'Debian:11' : 'Debian:12',
            name: pkg.name,
            purl: `pkg:deb/debian/${pkg.name}?arch=source`,
          },
          ranges: [{ type: 'ECOSYSTEM', events: this.events(pkg, 'debian', false) }],
          versions: this.versions(pkg, 'debian', 2 + this.random(20)),
        },
      ],
      references: [
        { type: 'ADVISORY', url: `https://www.debian.org/security/${id.toLowerCase()}` },
      ],
      schema_version: '1.6.0',
    };
  }

  private ghsa(
    i: number,
    cve: string,
    pkg: PoolPackage,
    ecosystem: string,
    rangeType: string,
    covering: boolean,
  ): OsvJson {
    const modified = this.time(3650, 90);
    const severity = this.pick(GHSA_SEVERITIES);
    const record: OsvJson = {
      schema_version: '1.4.0',
      id: ghsaId(i),
      modified: modified.toISOString(),
      published: this.before(modified),
      aliases: this.chance(0.85) ? [cve] : [],
      summary: `${pkg.name} ${this.text(30, 90)}`,
      details: this.text(300, 4000),
      severity: this.cvss(),
      affected: Array.from({ length: 1 + (this.chance(0.3) ? this.random(3) : 0) }, (_, n) => ({
        package: { ecosystem, name: pkg.name, purl: purl(ecosystem, pkg.name) },
        ranges: [{ type: rangeType, events: this.events(pkg, 'semver', covering && n === 0) }],
        database_specific: { source: 'https://github.com/github/advisory-database' },
      })),
      references: this.references(cve, pkg.name),
      database_specific: {
        cwe_ids: [this.pick(CWES)],
        severity,
        github_reviewed: true,
        github_reviewed_at: modified.toISOString(),
        nvd_published_at: this.before(modified),
      },
    };
    if (this.chance(0.01)) record.withdrawn = modified.toISOString();
    return record;
  }

  private pysec(i: number, cve: string, pkg: PoolPackage): OsvJson {
    const modified = this.time(3650, 180);
    return {
      id: `PYSEC-${2014 + (i % 12)}-${100 + Math.floor(i / 12)}`,
      modified: modified.toISOString(),
      published: this.before(modified),
      aliases: [cve, ghsaId(i)],
      details: this.text(200, 2000),
      affected: [
        {
          package: { ecosystem: 'PyPI', name: pkg.name, purl: purl('PyPI', pkg.name) },
          ranges: [
            {
              type: 'GIT',
              repo: `https://github.com/${pkg.name}/${pkg.name}`,
              events: [{ introduced: '0' }, { fixed: hex(this.random, 40) }],
            },
            { type: 'ECOSYSTEM', events: this.events(pkg, 'semver', false) },
          ],
          versions: this.versions(pkg, 'semver', 5 + this.random(200)),
        },
      ],
      references: this.references(cve, pkg.name),
    };
  }

  /** `introduced`/`fixed` (sometimes `last_affected`, sometimes unfixed); a covering record is fixed above the package's version. */
  private events(pkg: PoolPackage, style: 'debian' | 'semver', covering: boolean): Json[] {
    const fixed = (major: number, minor: number, patch: number) =>
      style === 'debian'
        ? `${major}.${minor}.${patch}-${1 + this.random(3)}${this.chance(0.3) ? `+deb12u${1 + this.random(9)}` : ''}`
        : `${major}.${minor}.${patch}`;
    if (covering)
      return [
        { introduced: '0' },
        { fixed: fixed(pkg.major, pkg.minor, pkg.patch + 1 + this.random(5)) },
      ];
    const introduced = this.chance(0.6) ? '0' : `${Math.max(0, pkg.major - this.random(3))}.0.0`;
    const roll = this.random(20);
    if (roll === 0) return [{ introduced }];
    const end = fixed(pkg.major + this.random(2), this.random(25), this.random(35));
    return [{ introduced }, roll === 1 ? { last_affected: end } : { fixed: end }];
  }

  private versions(pkg: PoolPackage, style: 'debian' | 'semver', count: number): string[] {
    return Array.from({ length: count }, (_, n) => {
      const minor = Math.floor(n / 10);
      return style === 'debian'
        ? `${pkg.major}.${minor}.${n % 10}-${1 + (n % 3)}`
        : `${pkg.major}.${minor}.${n % 10}`;
    });
  }

  private cvss(): Json[] {
    const pickOf = (values: string) => values[this.random(values.length)] ?? 'N';
    const v3 = `CVSS:3.1/AV:${pickOf('NALP')}/AC:${pickOf('LH')}/PR:${pickOf('NLH')}/UI:${pickOf('NR')}/S:${pickOf('UC')}/C:${pickOf('NLH')}/I:${pickOf('NLH')}/A:${pickOf('NLH')}`;
    const scores: Json[] = [{ type: 'CVSS_V3', score: v3 }];
    if (this.chance(0.15))
      scores.push({
        type: 'CVSS_V4',
        score: `CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:${pickOf('NLH')}/VI:${pickOf('NLH')}/VA:${pickOf('NLH')}/SC:N/SI:N/SA:N`,
      });
    return scores;
  }

  private references(cve: string, name: string): Json[] {
    const refs: Json[] = [{ type: 'ADVISORY', url: `https://nvd.nist.gov/vuln/detail/${cve}` }];
    for (let n = this.random(10); n > 0; n--)
      refs.push(
        this.chance(0.5)
          ? {
              type: 'FIX',
              url: `https://github.com/${name}/${name}/commit/${hex(this.random, 40)}`,
            }
          : {
              type: 'WEB',
              url: `https://github.com/${name}/${name}/issues/${1 + this.random(20_000)}`,
            },
      );
    refs.push({ type: 'PACKAGE', url: `https://github.com/${name}/${name}` });
    return refs;
  }

  private makeProse(length: number): string {
    const words: string[] = [];
    for (let size = 0; size < length;) {
      const word = this.pick(WORDS);
      words.push(this.random(12) === 0 ? `${word}.` : word);
      size += word.length + 1;
    }
    return words.join(' ');
  }

  /** A slice of the prose, between `min` and `max` bytes long. */
  private text(min: number, max: number): string {
    const length = min + this.random(max - min);
    const start = this.random(this.prose.length - length);
    return this.prose.slice(start, start + length).trim();
  }

  /** A time in the `days` before 2024-12-31, not earlier than `minDays` after 2014. */
  private time(days: number, minDays: number): Date {
    return new Date(
      EPOCH_2014 + (minDays + this.random(days - minDays)) * DAY_MS + this.random(DAY_MS),
    );
  }

  /** Seconds-precision RFC 3339, some days before `time`, as feeds give `published`. */
  private before(time: Date): string {
    return new Date(time.getTime() - this.random(300) * DAY_MS)
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
  }

  private chance(p: number): boolean {
    return this.random(1_000_000) < p * 1_000_000;
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.random(items.length)] as T;
  }
}

/** A GHSA-shaped id, unique per i: its first 8 characters spell i * 7919 + 104729 in base 20. */
function ghsaId(i: number): string {
  const unique = base20(i * 7919 + 104_729, 8);
  const scrambled = base20(Math.imul(i, 0x9e3779b1) >>> 0, 4);
  return `GHSA-${unique.slice(0, 4)}-${unique.slice(4)}-${scrambled}`;
}

function base20(n: number, digits: number): string {
  let out = '';
  for (let digit = 0, rest = n; digit < digits; digit++, rest = Math.floor(rest / 20))
    out += GHSA_ALPHABET[rest % 20] ?? '2';
  return out;
}

function purl(ecosystem: string, name: string): string {
  return ecosystem === 'npm' ? `pkg:npm/${name.replace('@', '%40')}` : `pkg:pypi/${name}`;
}

function hex(random: (n: number) => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += random(16).toString(16);
  return out;
}
