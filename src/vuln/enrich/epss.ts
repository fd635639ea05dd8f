/**
 * FIRST's EPSS scores (https://www.first.org/epss/data_stats), the daily CSV (often gzipped):
 * `#model_version:v2025.03.14,score_date:2025-09-06T12:55:00Z`, then `cve,epss,percentile` and
 * one row per CVE. Each day's file scores every CVE: an import replaces the stored scores.
 */
import type { Insertable } from 'kysely';
import type { VulnDbSchema } from '../db.js';
import {
  CVE_ID,
  describe,
  EnrichmentFormatError,
  inBatches,
  timestamp,
  type EnrichmentFeed,
  type EnrichmentLimits,
  type FeedFile,
} from './feed.js';

type EpssRow = Insertable<VulnDbSchema['exploit_predictions']>;

const COLUMNS = ['cve', 'epss', 'percentile'] as const;
const PROBABILITY = /^(0(\.\d+)?|1(\.0+)?|\d(\.\d+)?e-\d+)$/i;

export const epssFeed: EnrichmentFeed = {
  name: 'epss',
  title: 'FIRST EPSS score file',
  kind: 'snapshot',
  recognises: (head) => /^\uFEFF?(#[^\n]*\n)*cve,epss\b/i.test(head),
  async read(chunks, limits): Promise<FeedFile> {
    const reader = new EpssReader(limits);
    for await (const chunk of chunks) reader.push(chunk);
    const { rows, asOf } = reader.end();
    return {
      records: rows.length,
      asOf,
      async write(trx) {
        await trx.deleteFrom('exploit_predictions').execute();
        await inBatches(rows, (batch) =>
          trx.insertInto('exploit_predictions').values(batch).execute(),
        );
        return rows.length;
      },
    };
  },
};

/** Splits the file into lines as it streams, and reads each. */
class EpssReader {
  private readonly rows = new Map<string, EpssRow>();
  private pending = '';
  private line = 0;
  private scoreDate: string | undefined;
  private columns: number[] | undefined;

  constructor(private readonly limits: Pick<EnrichmentLimits, 'maxRecordBytes' | 'maxRecords'>) {}

  push(chunk: Buffer): void {
    const lines = (this.pending + chunk.toString('latin1')).split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > this.limits.maxRecordBytes)
      throw new EnrichmentFormatError(
        `line ${this.line + lines.length + 1} is over ${this.limits.maxRecordBytes} bytes`,
      );
    for (const line of lines) this.read(line);
  }

  /** The scores, and the time they were scored. */
  end(): { rows: EpssRow[]; asOf: string } {
    if (this.pending !== '') this.read(this.pending);
    this.pending = '';
    if (this.columns === undefined)
      throw new EnrichmentFormatError('it has no "cve,epss,percentile" header line');
    if (this.scoreDate === undefined)
      throw new EnrichmentFormatError(
        'it has no "#model_version:…,score_date:…" line, so the date of its scores is unknown',
      );
    if (this.rows.size === 0) throw new EnrichmentFormatError('it holds no scores');
    const rows = [...this.rows.values()];
    // The day the scores are for; every row says it, as the lookup hands it out per CVE.
    for (const row of rows) row.date = this.scoreDate.slice(0, 10);
    return { rows, asOf: this.scoreDate };
  }

  private read(raw: string): void {
    this.line += 1;
    // Files are ASCII; read as latin1 so that no byte sequence can fail to decode.
    const text = raw.replace(/\r$/, '').replace(/^\u00ef\u00bb\u00bf/, '');
    if (text.startsWith('#')) this.comment(text);
    else if (this.columns === undefined) this.header(text);
    else if (text !== '') this.score(text);
  }

  /** `#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000` */
  private comment(text: string): void {
    const value = /score_date:([^,\s]+)/.exec(text)?.[1];
    if (value !== undefined) this.scoreDate = timestamp(value, `line ${this.line}: score_date`);
  }

  private header(text: string): void {
    const names = text.toLowerCase().split(',');
    const columns = COLUMNS.map((name) => names.indexOf(name));
    if (columns.some((column) => column < 0))
      throw new EnrichmentFormatError(
        `line ${this.line} should be the header "cve,epss,percentile" (${describe(text)})`,
      );
    this.columns = columns;
  }

  private score(text: string): void {
    const fields = text.split(',');
    const [cve = '', epss = '', percentile = ''] = (this.columns ?? []).map((i) => fields[i]);
    const where = `line ${this.line}`;
    if (!CVE_ID.test(cve))
      throw new EnrichmentFormatError(`${where}: ${describe(cve)} is not a CVE id`);
    if (!PROBABILITY.test(epss) || !PROBABILITY.test(percentile))
      throw new EnrichmentFormatError(
        `${where}: ${cve} has an epss or percentile that is not a number from 0 to 1 (${describe(text)})`,
      );
    if (!this.rows.has(cve) && this.rows.size >= this.limits.maxRecords)
      throw new EnrichmentFormatError(`it holds more than ${this.limits.maxRecords} scores`);
    this.rows.set(cve, {
      cve_id: cve,
      score: Number(epss),
      percentile: Number(percentile),
      date: '',
    });
  }
}
