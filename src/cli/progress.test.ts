import { describe, expect, it } from 'vitest';
import type { LayerDescriptor, SourceImage } from '../model/index.js';
import { ProgressReporter, type ProgressStream } from './progress.js';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

function image(layerCount: number): SourceImage {
  const layers: LayerDescriptor[] = Array.from({ length: layerCount }, (_, index) => ({
    index,
    digest: `sha256:${String(index).repeat(64)}`,
    mediaType: GZIP,
    size: 2_000_000,
  }));
  return {
    name: 'oci-dir:/x:v1',
    config: {},
    layers,
    openLayer: () => Promise.reject(new Error('progress never reads layers')),
  };
}

function sink(tty: Partial<ProgressStream> = {}): ProgressStream & { text: () => string } {
  let out = '';
  return {
    write: (text: string) => (out += text),
    text: () => out,
    ...tty,
  };
}

function readAll(reporter: ProgressReporter, img: SourceImage, cachedIndexes: number[] = []) {
  const listener = reporter.forImage(img);
  for (const layer of img.layers) {
    listener.layerStart?.(img.name, layer);
    if (cachedIndexes.includes(layer.index)) {
      listener.layerDone?.(img.name, layer, true);
      continue;
    }
    listener.layerBytes?.(img.name, layer, 1_000_000);
    listener.layerBytes?.(img.name, layer, 1_234_567);
    listener.layerDone?.(img.name, layer, false);
  }
  reporter.finish();
}

describe('ProgressReporter when stderr is not a terminal', () => {
  it('prints one line per layer when it finishes, saying whether it came from the cache', () => {
    const out = sink();
    readAll(new ProgressReporter(out), image(2), [1]);
    expect(out.text()).toBe(
      `layer 1/2 sha256:000000000000… 1.2 MB (read)\nlayer 2/2 sha256:111111111111… 2.0 MB (cached)\n`,
    );
  });

  it('labels the layers of each image when asked (several platforms)', () => {
    const out = sink();
    const reporter = new ProgressReporter(out);
    const img = image(1);
    const listener = reporter.forImage(img, 'linux/arm64');
    const layer = img.layers[0];
    if (!layer) throw new Error('no layer');
    listener.layerDone?.(img.name, layer, true);
    expect(out.text()).toBe('linux/arm64 layer 1/1 sha256:000000000000… 2.0 MB (cached)\n');
  });

  it('names layers made on the fly as generated', () => {
    const out = sink();
    const img = image(1);
    img.layers = [{ index: 0, mediaType: 'application/vnd.oci.image.layer.v1.tar' }];
    readAll(new ProgressReporter(out), img);
    expect(out.text()).toBe('layer 1/1 (generated) 1.2 MB (read)\n');
  });
});

describe('ProgressReporter on a terminal', () => {
  it('redraws one line per layer in place, with a bar, and leaves the final state', () => {
    const out = sink({ isTTY: true, columns: 100, rows: 40 });
    let clock = 0;
    readAll(new ProgressReporter(out, () => (clock += 1000)), image(3), [2]);
    const text = out.text();
    expect(text).toContain('\u001b[3A');
    expect(text).toMatch(/layer 1\/3 sha256:000000000000… \[#*-*\] 1\.0 MB \/ 2\.0 MB/);
    const finalBlock = text.slice(text.lastIndexOf('\u001b[3A'));
    expect(finalBlock).toContain('layer 1/3 sha256:000000000000… 1.2 MB (read)');
    expect(finalBlock).toContain('layer 3/3 sha256:222222222222… 2.0 MB (cached)');
  });

  it('keeps lines narrower than the terminal, so redraws do not wrap', () => {
    const out = sink({ isTTY: true, columns: 30, rows: 40 });
    readAll(new ProgressReporter(out), image(2));
    // eslint-disable-next-line no-control-regex -- strips the escape sequences drawn
    const drawn = /\u001b\[\d*[A-Z]|\r/g;
    const lines = out
      .text()
      .split('\n')
      .map((line) => line.replace(drawn, ''));
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(30);
  });

  it('falls back to plain lines when the layers do not fit on the screen', () => {
    const out = sink({ isTTY: true, columns: 100, rows: 5 });
    readAll(new ProgressReporter(out), image(6));
    expect(out.text()).not.toContain('\u001b');
    expect(out.text().split('\n')).toHaveLength(7);
  });
});
