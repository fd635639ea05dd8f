import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, randomText } from '../../../test/harness/mutate.js';
import { seededRandom } from '../../../test/harness/random.js';
import { epssFeed } from './epss.js';
import { DEFAULT_ENRICHMENT_LIMITS, EnrichmentFormatError, type EnrichmentFeed } from './feed.js';
import { ENRICHMENT_FEEDS } from './feeds.js';
import { kevFeed } from './kev.js';
import { nvdFeed, scoresOf, vectorVersion } from './nvd.js';

const TEST_FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');
const FIXTURES = join(TEST_FIXTURES, 'enrich');
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const KEV = 'known_exploited_vulnerabilities.json';
const EPSS = 'epss_scores-2026-09-29.csv';

async function* chunksOf(bytes: Buffer, size = 4096): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) {
    await Promise.resolve();
    yield bytes.subarray(at, at + size);
  }
}

const read = (feed: EnrichmentFeed, text: string | Buffer, size?: number) =>
  feed.read(chunksOf(Buffer.from(text), size), DEFAULT_ENRICHMENT_LIMITS);

describe('recognising a feed by content', () => {
  it('names each fixture by its own feed, and OSV records by none', () => {
    const byFeed = (head: string) =>
      ENRICHMENT_FEEDS.filter((f) => f.recognises(head)).map((f) => f.name);
    expect(byFeed(fixture(KEV).toString())).toEqual(['kev']);
    expect(byFeed(fixture(EPSS).toString())).toEqual(['epss']);
    expect(byFeed(fixture('epss_scores-2025-01-01.csv').toString())).toEqual(['epss']);
    expect(byFeed(fixture('nvd/cves-0.json').toString())).toEqual(['nvd']);
    expect(byFeed(fixture('nvd/cves-2.json').toString())).toEqual(['nvd']);
    expect(byFeed('cve,epss,percentile\r\nCVE-2024-0001,0.1,0.2\r\n')).toEqual(['epss']);
    for (const name of readdirSync(join(TEST_FIXTURES, 'osv')).filter((f) => f.endsWith('.json')))
      expect(byFeed(readFileSync(join(TEST_FIXTURES, 'osv', name), 'utf8'))).toEqual([]);
    expect(byFeed('SQLite format 3\u0000')).toEqual([]);
  });
});

describe('kevFeed', () => {
  it('reads the catalogue and its release time', async () => {
    const file = await read(kevFeed, fixture(KEV), 100);
    expect(file).toMatchObject({ records: 4, asOf: '2025-08-25T17:04:19.979Z' });
  });

  it.each([
    ['{"catalogVersion": "1"}', /no "vulnerabilities" list/],
    ['{"vulnerabilities": []}', /list is empty/],
    [
      '{"vulnerabilities": [{"cveID": "CVE-24-1", "dateAdded": "2024-01-01"}]}',
      /vulnerabilities\[0\]\.cveID is not a CVE id \("CVE-24-1"\)/,
    ],
    [
      '{"vulnerabilities": [{"cveID": "CVE-2024-1234", "dateAdded": "1/2/2024"}]}',
      /CVE-2024-1234: dateAdded is not a date/,
    ],
    [
      '{"vulnerabilities": [{"cveID": "CVE-2024-1234", "dateAdded": "2024-01-02", "dueDate": 5}]}',
      /dueDate is not a date/,
    ],
    [
      '{"dateReleased": "yesterday", "vulnerabilities": []}',
      /dateReleased is not a date and time \("yesterday"\)/,
    ],
  ])('refuses %s', async (text, message) => {
    await expect(read(kevFeed, text)).rejects.toThrow(message);
  });
});

describe('epssFeed', () => {
  it('reads the scores and the day they are for, in either date style', async () => {
    expect(await read(epssFeed, fixture(EPSS), 50)).toMatchObject({
      records: 11,
      asOf: '2026-09-29T12:00:22.000Z',
    });
    expect(await read(epssFeed, fixture('epss_scores-2025-01-01.csv'))).toMatchObject({
      records: 3,
      asOf: '2025-01-01T00:00:00.000Z',
    });
    const crlf = fixture(EPSS).toString().replaceAll('\n', '\r\n');
    expect(await read(epssFeed, `\uFEFF${crlf}`, 7)).toMatchObject({ records: 11 });
  });

  const HEADER =
    '#model_version:v2025.03.14,score_date:2025-09-06T12:55:00Z\ncve,epss,percentile\n';
  it.each([
    ['cve,epss,percentile\nCVE-2024-0001,0.1,0.2\n', /no "#model_version:…,score_date:…" line/],
    ['#model_version:v1,score_date:2025-09-06\n', /no "cve,epss,percentile" header line/],
    ['#x\ncve,score\n', /line 2 should be the header "cve,epss,percentile" \("cve,score"\)/],
    [HEADER, /holds no scores/],
    [
      `${HEADER}CVE-2024-0001,0.1\n`,
      /line 3: CVE-2024-0001 has an epss or percentile that is not a number/,
    ],
    [`${HEADER}CVE-2024-0001,1.5,0.2\n`, /not a number from 0 to 1/],
    [`${HEADER}cve-2024-1,0.1,0.2\n`, /line 3: "cve-2024-1" is not a CVE id/],
    [
      '#model_version:v1,score_date:soon\ncve,epss,percentile\n',
      /line 1: score_date is not a date and time/,
    ],
  ])('refuses %j', async (text, message) => {
    await expect(read(epssFeed, text)).rejects.toThrow(message);
  });

  it('bounds the length of a line', async () => {
    const limits = { ...DEFAULT_ENRICHMENT_LIMITS, maxRecordBytes: 100 };
    await expect(
      epssFeed.read(chunksOf(Buffer.from(`cve,epss,percentile\n${'9'.repeat(500)}`), 64), limits),
    ).rejects.toThrow(/line 2 is over 100 bytes/);
  });
});

describe('nvdFeed', () => {
  it('reads API pages, keeping the newest lastModified', async () => {
    expect(await read(nvdFeed, fixture('nvd/cves-0.json'), 333)).toMatchObject({
      records: 2,
      asOf: '2025-02-14T16:15:23.887Z',
    });
    expect(
      await read(nvdFeed, '{"resultsPerPage":0,"format":"NVD_CVE","vulnerabilities":[]}'),
    ).toEqual(expect.objectContaining({ records: 0 }));
  });

  it.each([
    ['{"format":"NVD_CVE","version":"2.0"}', /no "vulnerabilities" list/],
    [
      '{"CVE_data_format":"MITRE","format":"NVD_CVE","version":"1.1","vulnerabilities":[]}',
      /version "1.1" of NVD's JSON/,
    ],
    ['{"format":"OSV","vulnerabilities":[]}', /its format is "OSV", not "NVD_CVE"/],
    [
      '{"vulnerabilities":[{"cve":{"id":"GHSA-1234"}}]}',
      /vulnerabilities\[0\]\.cve\.id is not a CVE id/,
    ],
    [
      '{"vulnerabilities":[{"cve":{"id":"CVE-2024-0001","lastModified":"2024-13-45"}}]}',
      /CVE-2024-0001: lastModified is not a date and time/,
    ],
  ])('refuses %s', async (text, message) => {
    await expect(read(nvdFeed, text)).rejects.toThrow(message);
  });

  it('takes the CVSS version from the vector', () => {
    expect(vectorVersion('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe('3.1');
    expect(vectorVersion('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe('3.0');
    expect(vectorVersion('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toBe(
      '4.0',
    );
    expect(vectorVersion('AV:N/AC:M/Au:N/C:C/I:C/A:C')).toBe('2.0');
    expect(vectorVersion('CVSS:2.0/AV:N/AC:M/Au:N/C:C/I:C/A:C')).toBeUndefined();
    expect(vectorVersion('AV:X/AC:M')).toBeUndefined();
  });

  it("prefers NVD's own score per version, and leaves out metrics that do not validate", () => {
    const metric = (type: string, vector: string, baseScore: unknown, extra: object = {}) => ({
      source: type === 'Primary' ? 'nvd@nist.gov' : 'cna@example.com',
      type,
      cvssData: { vectorString: vector, baseScore },
      ...extra,
    });
    expect(
      scoresOf({
        cvssMetricV2: [metric('Primary', 'AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5, { impactScore: 6.4 })],
        cvssMetricV31: [
          metric('Secondary', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.1),
          metric('Primary', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, {
            exploitabilityScore: 3.9,
            impactScore: 5.9,
          }),
          metric('Primary', 'CVSS:3.1/AV:N', 11),
        ],
        cvssMetricV40: [metric('Secondary', 'CVSS:4.0/AV:N', 9.3, { impactScore: 1 })],
        cvssMetricV30: 'not a list',
      }),
    ).toEqual([
      { version: '4.0', vector: 'CVSS:4.0/AV:N', baseScore: 9.3 },
      {
        version: '3.1',
        vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
        baseScore: 9.8,
        exploitabilityScore: 3.9,
        impactScore: 5.9,
      },
      { version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', baseScore: 7.5, impactScore: 6.4 },
    ]);
  });
});

describe('every feed reader', () => {
  it('never throws anything but EnrichmentFormatError on mutated or random input (seeded)', async () => {
    const samples: [EnrichmentFeed, Buffer, string][] = [
      [kevFeed, fixture(KEV), '"cveID": "CVE-'],
      [epssFeed, fixture(EPSS), ',0.'],
      [epssFeed, fixture('epss_scores-2025-01-01.csv'), '\n#score_date:'],
      [nvdFeed, fixture('nvd/cves-0.json'), '"cvssMetricV2":[{'],
      [nvdFeed, fixture('nvd/cves-2.json'), '"lastModified": "'],
    ];
    for (let seed = 1; seed <= 1500; seed++) {
      const random = seededRandom(seed);
      const picked = samples[random(samples.length)];
      if (picked === undefined) continue;
      const [feed, sample, splice] = picked;
      const input =
        random(6) === 0
          ? randomText('{}[]":,\n#CVE-0123456789.epscorvulnat', 400, random)
          : mutate(sample, random, splice);
      try {
        await read(feed, input, 1 + random(500));
      } catch (error) {
        if (!(error instanceof EnrichmentFormatError))
          throw new Error(`seed ${seed} (${feed.name}): ${String(error)}`);
      }
    }
  });
});
