/**
 * The images the gate tests share: a tiny one that every shipped policy passes, the demo image
 * that fails (port 22 exposed, as the Codeship seed's image; Debian, npm and Python packages with
 * real OSV records), the demo image without the ssh port (which passes), and one whose layer a
 * test corrupts in the registry after pushing it, so its analysis fails; and a bundle that passes
 * every image.
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

export const demoImageWithoutSsh = (): BuiltImage =>
  buildImage({
    ...demoImageSpec,
    config: { ...demoImageSpec.config, ExposedPorts: { '8080/tcp': {} } },
    history: demoImageSpec.history?.map((entry) =>
      entry.created_by?.startsWith('EXPOSE') === true
        ? { ...entry, created_by: 'EXPOSE map[8080/tcp:{}]' }
        : entry,
    ),
  });

export const corruptibleImage = (): BuiltImage =>
  buildImage({ layers: [{ entries: [{ path: 'etc/broken', content: 'a layer to corrupt\n' }] }] });

/** One policy with no rules, mapped to every image: everything passes. */
export const allowAllBundle = () => ({
  id: 'allow-all',
  name: 'allow all',
  version: '1_0',
  policies: [{ id: 'p', version: '1_0', rules: [] }],
  whitelists: [],
  mappings: [
    {
      id: 'm',
      name: 'all',
      registry: '*',
      repository: '*',
      image: { type: 'tag', value: '*' },
      policy_id: 'p',
      whitelist_ids: [],
    },
  ],
  whitelisted_images: [],
  blacklisted_images: [],
});
