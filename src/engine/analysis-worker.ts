/**
 * The analysis queue is the images table: a worker claims a `not_analyzed` image (or one whose
 * worker's lease ran out) by a conditional update, renews its lease while it works, and writes
 * the result only while it still holds the lease. A worker that dies mid-job therefore leaves
 * the image to be claimed again when the lease expires, and a slow worker that lost its lease
 * cannot overwrite the result of the one that took over: nothing is stored twice.
 */
import { openRegistryImage } from '../analyzer/open-source.js';
import { analyzeImage } from '../analyzer/analyze-image.js';
import { ImageCataloger } from '../catalog/catalog-image.js';
import { DEFAULT_PLATFORM } from '../source/platform.js';
import { LayerCache } from '../source/layer-cache.js';
import { accountCredentials, layerCacheDir, recordEvent, type Engine } from './engine.js';
import { anchoreImageMetadata } from '../report/anchore-image.js';
import { indexFindings, indexPackages } from './image-index.js';
import { touchImages } from './images.js';
import { matchStored } from './matching.js';
import type { ImageAnalysis, MatchResult } from '../model/index.js';
import { noRows, nowText, type EngineSchema } from './store/schema.js';

export interface WorkerOptions {
  /** Analyses run at once in this process. */
  concurrency: number;
  /** How long a claim lasts without renewal. */
  leaseMs?: number;
  /** How often an idle worker looks for work it was not woken for (other processes' adds). */
  pollMs?: number;
  /** Claims after which an image whose workers keep dying is marked failed. */
  maxAttempts?: number;
}

const DEFAULTS = { leaseMs: 60_000, pollMs: 1_000, maxAttempts: 3 };

interface AnalysisResult {
  analysis: ImageAnalysis;
  match: MatchResult;
  manifest: string | null;
}

type Job = Pick<
  EngineSchema['images'],
  'account_name' | 'image_digest' | 'pull_reference' | 'dockerfile' | 'attempts'
>;

export class AnalysisWorkers {
  private readonly options: Required<WorkerOptions>;
  private running = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  constructor(
    private readonly engine: Engine,
    options: WorkerOptions,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(): void {
    this.schedule(0);
  }

  /** Look for work now (an image was just queued in this process). */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  /** Stops taking work and aborts the analyses in flight; their leases lapse for others. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.controller.abort(new Error('the engine is shutting down'));
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.fill();
    }, delayMs);
  }

  /** Claims jobs until every slot is busy or the queue is empty, then polls again later. */
  private async fill(): Promise<void> {
    try {
      while (!this.stopped && this.running < this.options.concurrency) {
        const job = await this.claim();
        if (job === undefined) break;
        this.running++;
        const run = this.run(job).finally(() => {
          this.running--;
          this.inFlight.delete(run);
          this.wake();
        });
        this.inFlight.add(run);
      }
    } catch (error) {
      process.stderr.write(`drydock engine: cannot read the analysis queue: ${String(error)}\n`);
    }
    if (!this.stopped) this.schedule(this.options.pollMs);
  }

  private async claim(): Promise<Job | undefined> {
    const { db, hostId } = this.engine;
    const now = nowText();
    const candidates = await db
      .selectFrom('images')
      .select([
        'account_name',
        'image_digest',
        'pull_reference',
        'dockerfile',
        'attempts',
        'analysis_status',
        'lease_until',
      ])
      .where((eb) =>
        eb.or([
          eb('analysis_status', '=', 'not_analyzed'),
          eb.and([eb('analysis_status', '=', 'analyzing'), eb('lease_until', '<', now)]),
        ]),
      )
      .orderBy('created_at')
      .limit(8)
      .execute();
    for (const candidate of candidates) {
      if (candidate.attempts >= this.options.maxAttempts) {
        await this.fail(
          candidate,
          `analysis abandoned after ${String(candidate.attempts)} attempts (the workers analysing it stopped)`,
          candidate.lease_until,
        );
        continue;
      }
      const result = await db
        .updateTable('images')
        .set({
          analysis_status: 'analyzing',
          lease_owner: hostId,
          lease_until: this.leaseEnd(),
          attempts: candidate.attempts + 1,
          last_updated: now,
        })
        .where('account_name', '=', candidate.account_name)
        .where('image_digest', '=', candidate.image_digest)
        .where('analysis_status', '=', candidate.analysis_status)
        .where('attempts', '=', candidate.attempts)
        .executeTakeFirst();
      if (noRows(result)) continue;
      await touchImages(db, candidate.account_name);
      return candidate;
    }
    return undefined;
  }

  private leaseEnd(): string {
    return nowText(new Date(Date.now() + this.options.leaseMs));
  }

  private async run(job: Job): Promise<void> {
    const renew = setInterval(() => {
      void this.renew(job);
    }, this.options.leaseMs / 3);
    try {
      await this.finish(job, await this.analyse(job));
    } catch (error) {
      if (this.controller.signal.aborted) return;
      await this.fail(job, error instanceof Error ? error.message : String(error), undefined);
    } finally {
      clearInterval(renew);
    }
  }

  private async analyse(job: Job): Promise<AnalysisResult> {
    const { engine } = this;
    const source = await openRegistryImage(
      job.pull_reference,
      { config: engine.config, userAgent: 'drydock-engine' },
      await accountCredentials(engine, job.account_name),
    );
    let analysis;
    let manifest: string | null = null;
    try {
      const [image] = await source.resolve(DEFAULT_PLATFORM, this.controller.signal);
      if (image === undefined) throw new Error(`${job.pull_reference} resolved to no image`);
      manifest = image.rawManifest?.toString('utf8') ?? null;
      ({ analysis } = await analyzeImage(image, {
        limits: engine.config.limits,
        collectors: [],
        cataloger: new ImageCataloger({
          ...(engine.config.secrets === undefined ? {} : { secrets: engine.config.secrets }),
          ...(engine.config.retainedFiles === undefined
            ? {}
            : { retainedPaths: engine.config.retainedFiles }),
        }),
        cache: new LayerCache(layerCacheDir(engine)),
        ...(job.dockerfile === null ? {} : { dockerfile: job.dockerfile }),
        signal: this.controller.signal,
      }));
    } finally {
      await source.close();
    }
    const match = await matchStored(engine, analysis.content);
    return { analysis, match, manifest };
  }

  private async renew(job: Job): Promise<void> {
    await this.engine.db
      .updateTable('images')
      .set({ lease_until: this.leaseEnd() })
      .where('account_name', '=', job.account_name)
      .where('image_digest', '=', job.image_digest)
      .where('lease_owner', '=', this.engine.hostId)
      .execute()
      .catch(() => undefined);
  }

  /** Stores the result and its query indexes, if this worker still holds the job. */
  private async finish(job: Job, { analysis, match, manifest }: AnalysisResult): Promise<void> {
    const now = nowText();
    const stored = await this.engine.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('images')
        .set({
          image_id: analysis.metadata.imageId ?? null,
          analysis: JSON.stringify(analysis),
          manifest,
          content_metadata: JSON.stringify(anchoreImageMetadata(analysis)),
          findings: JSON.stringify(match),
          analysis_status: 'analyzed',
          analysis_error: null,
          lease_owner: null,
          lease_until: null,
          analyzed_at: now,
          last_updated: now,
        })
        .where('account_name', '=', job.account_name)
        .where('image_digest', '=', job.image_digest)
        .where('lease_owner', '=', this.engine.hostId)
        .where('analysis_status', '=', 'analyzing')
        .executeTakeFirst();
      if (noRows(result)) return false;
      await touchImages(trx, job.account_name);
      await indexPackages(trx, job.account_name, job.image_digest, analysis);
      await indexFindings(trx, job.account_name, job.image_digest, analysis, match);
      return true;
    });
    if (!stored) return;
    await recordEvent(this.engine, {
      account: job.account_name,
      type: 'user.image.analysis.completed',
      level: 'INFO',
      resourceType: 'image_digest',
      resourceId: job.image_digest,
      message: 'Image analysis completed',
    });
  }

  /**
   * Marks the job failed, keeping the reason. `leaseUntil` set: an abandoned job, failed only if
   * nobody claimed it meanwhile; else this worker's own job, failed only while it holds it.
   */
  private async fail(
    job: Job,
    reason: string,
    leaseUntil: string | null | undefined,
  ): Promise<void> {
    const now = nowText();
    let update = this.engine.db
      .updateTable('images')
      .set({
        analysis_status: 'analysis_failed',
        analysis_error: reason,
        lease_owner: null,
        lease_until: null,
        last_updated: now,
      })
      .where('account_name', '=', job.account_name)
      .where('image_digest', '=', job.image_digest)
      .where('attempts', '=', job.attempts + (leaseUntil === undefined ? 1 : 0));
    update =
      leaseUntil === undefined
        ? update.where('lease_owner', '=', this.engine.hostId)
        : update.where('analysis_status', 'in', ['analyzing', 'not_analyzed']);
    const result = await update.executeTakeFirst();
    if (noRows(result)) return;
    await touchImages(this.engine.db, job.account_name);
    await recordEvent(this.engine, {
      account: job.account_name,
      type: 'user.image.analysis.failed',
      level: 'ERROR',
      resourceType: 'image_digest',
      resourceId: job.image_digest,
      message: `Image analysis failed: ${reason}`,
    });
  }
}
