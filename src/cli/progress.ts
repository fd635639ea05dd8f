/**
 * Layer progress on stderr. On a terminal: one line per layer, redrawn in place, with a bar and
 * the bytes read. Elsewhere (CI logs, pipes): one line per layer when it finishes.
 */
import type { LayerDescriptor, ProgressListener, SourceImage } from '../model/index.js';
import { formatBytes, shortDigest } from '../report/table.js';

/** What the reporter needs of stderr; a `tty.WriteStream` has all of it. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

const BAR_WIDTH = 24;
/** Redraws at most this often; a fast local read would otherwise redraw per chunk. */
const REDRAW_INTERVAL_MS = 100;

type LayerState =
  | { phase: 'waiting' }
  | { phase: 'reading'; bytes: number }
  | { phase: 'done'; bytes: number; cached: boolean };

/** One image's layers and, on a terminal, where its block of lines is. */
class ImageProgress implements ProgressListener {
  readonly states: LayerState[];
  private drawn = false;
  private lastDraw = 0;

  constructor(
    private readonly image: SourceImage,
    private readonly label: string,
    private readonly stream: ProgressStream,
    private readonly redraw: boolean,
    private readonly now: () => number,
  ) {
    this.states = image.layers.map(() => ({ phase: 'waiting' }));
  }

  layerStart(_image: string, layer: LayerDescriptor): void {
    this.update(layer, { phase: 'reading', bytes: 0 }, false);
  }

  layerBytes(_image: string, layer: LayerDescriptor, bytesRead: number): void {
    this.update(layer, { phase: 'reading', bytes: bytesRead }, false);
  }

  layerDone(_image: string, layer: LayerDescriptor, fromCache: boolean): void {
    const before = this.states[layer.index];
    const bytes = fromCache ? (layer.size ?? 0) : before && 'bytes' in before ? before.bytes : 0;
    this.update(layer, { phase: 'done', bytes, cached: fromCache }, true);
    if (!this.redraw) this.stream.write(`${this.line(layer.index)}\n`);
  }

  /** Draws the block a last time so the final state stays on screen. */
  finish(): void {
    if (this.redraw && this.drawn) this.draw();
  }

  private update(layer: LayerDescriptor, state: LayerState, force: boolean): void {
    if (layer.index < 0 || layer.index >= this.states.length) return;
    this.states[layer.index] = state;
    if (!this.redraw) return;
    const now = this.now();
    if (!force && now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = now;
    this.draw();
  }

  /** Moves up over the block drawn last time and writes it again, line by line. */
  private draw(): void {
    const count = this.states.length;
    let out = this.drawn ? `\x1b[${count}A` : '';
    for (let i = 0; i < count; i++) out += `\r\x1b[2K${this.fit(this.line(i))}\n`;
    this.drawn = true;
    this.stream.write(out);
  }

  private fit(line: string): string {
    const width = (this.stream.columns ?? 80) - 1;
    return line.length > width ? line.slice(0, width) : line;
  }

  line(index: number): string {
    const layer = this.image.layers[index];
    const state = this.states[index] ?? { phase: 'waiting' };
    const name = layer?.digest ? `${shortDigest(layer.digest)}…` : '(generated)';
    const head = `${this.label}layer ${index + 1}/${this.states.length} ${name}`;
    const total = layer?.size;
    switch (state.phase) {
      case 'waiting':
        return `${head} waiting`;
      case 'reading':
        return this.redraw && total
          ? `${head} ${bar(state.bytes / total)} ${formatBytes(state.bytes)} / ${formatBytes(total)}`
          : `${head} ${formatBytes(state.bytes)}`;
      case 'done':
        return `${head} ${formatBytes(state.bytes)} (${state.cached ? 'cached' : 'read'})`;
    }
  }
}

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

export class ProgressReporter {
  private current: ImageProgress | undefined;

  constructor(
    private readonly stream: ProgressStream,
    /** The clock that paces redraws. */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Progress for one image; images are read one after another. `label` tells images apart when
   * there are several (`--platform all`).
   */
  forImage(image: SourceImage, label = ''): ProgressListener {
    this.current?.finish();
    // A block taller than the terminal cannot be redrawn in place: fall back to plain lines.
    const fits = image.layers.length < (this.stream.rows ?? 24) - 1;
    const prefix = label ? `${label} ` : '';
    const redraw = this.stream.isTTY === true && fits;
    this.current = new ImageProgress(image, prefix, this.stream, redraw, this.now);
    return this.current;
  }

  finish(): void {
    this.current?.finish();
    this.current = undefined;
  }
}
