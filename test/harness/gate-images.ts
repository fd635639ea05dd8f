/**
 * The images the gate tests share: one that every shipped policy passes, the demo image that fails
 * (port 22 exposed; Debian, npm and Python packages with real OSV records), and one whose layer a
 * test corrupts in the registry after pushing it, so its analysis fails.
 */
import { demoImageSpec } from '../../examples/demo-image/spec.js';
import { buildImage, type BuiltImage } from './image-builder.js';

export const passingImage = (): BuiltImage =>
  buildImage({
    layers: [
      {
        entries: [
          { path: 'etc/', type: 'dir' },
          { path: 'etc/motd', content: 'hello\n' },
        ],
      },
    ],
    config: { Cmd: ['/bin/true'] },
  });

export const failingImage = (): BuiltImage => buildImage(demoImageSpec);

export const corruptibleImage = (): BuiltImage =>
  buildImage({ layers: [{ entries: [{ path: 'etc/broken', content: 'a layer to corrupt\n' }] }] });
