/**
 * Builds the demo image offline, as an OCI layout: a small Debian-flavoured web app in three layers
 * (gzip, zstd, gzip) with the things an inspection should surface — an suid binary, a sticky /tmp, a
 * file deleted by a later layer, a hard link, a symlinked os-release, and port 22 exposed.
 * `scripts/build-demo-image.ts OUT_DIR` writes it as an OCI layout tagged `demo`.
 */
import type { ImageSpec } from '../../test/harness/image-builder.js';

const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`;

const passwd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
app:x:1000:1000::/home/app:/bin/sh
`;

export const demoImageSpec: ImageSpec = {
  created: '2024-05-01T12:00:00Z',
  layers: [
    {
      compression: 'gzip',
      entries: [
        { path: 'bin', type: 'dir' },
        { path: 'bin/bash', content: '\x7fELF demo shell\n', mode: 0o755 },
        { path: 'bin/sh', type: 'symlink', linkTarget: 'bash' },
        { path: 'etc', type: 'dir' },
        { path: 'etc/debian_version', content: '12.5\n' },
        { path: 'etc/os-release', type: 'symlink', linkTarget: '../usr/lib/os-release' },
        { path: 'etc/passwd', content: passwd },
        { path: 'etc/group', content: 'root:x:0:\napp:x:1000:\n' },
        { path: 'etc/shadow', content: 'root:*:19000:0:99999:7:::\n', mode: 0o640, gid: 42 },
        { path: 'tmp', type: 'dir', mode: 0o1777 },
        { path: 'usr', type: 'dir' },
        { path: 'usr/bin', type: 'dir' },
        { path: 'usr/bin/passwd', content: '\x7fELF demo passwd\n', mode: 0o4755 },
        { path: 'usr/bin/wall', content: '\x7fELF demo wall\n', mode: 0o2755, gid: 5 },
        { path: 'usr/lib', type: 'dir' },
        { path: 'usr/lib/os-release', content: osRelease },
      ],
    },
    {
      compression: 'zstd',
      entries: [
        { path: 'app', type: 'dir', uid: 1000, gid: 1000 },
        {
          path: 'app/server.js',
          content: 'require("http").createServer().listen(8080);\n',
          uid: 1000,
          gid: 1000,
        },
        {
          path: 'app/package.json',
          content: '{"name":"demo-app","version":"1.0.0"}\n',
          uid: 1000,
          gid: 1000,
        },
        { path: 'tmp/build-cache', type: 'dir' },
        { path: 'tmp/build-cache/npm.log', content: 'npm install finished\n' },
      ],
    },
    {
      compression: 'gzip',
      entries: [
        { path: 'tmp/.wh.build-cache', content: '' },
        { path: 'app/config.json', content: '{"port":8080}\n', uid: 1000, gid: 1000 },
        { path: 'app/config.default.json', type: 'hardlink', linkTarget: 'app/config.json' },
      ],
    },
  ],
  history: [
    { created: '2024-05-01T11:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:3b1a4c2e in / ' },
    {
      created: '2024-05-01T11:00:01Z',
      created_by: '/bin/sh -c #(nop)  CMD ["bash"]',
      empty_layer: true,
    },
    { created: '2024-05-01T11:30:00Z', created_by: 'COPY app/ /app/ # buildkit' },
    {
      created: '2024-05-01T11:30:01Z',
      created_by:
        'RUN /bin/sh -c rm -rf /tmp/build-cache && ln /app/config.json /app/config.default.json # buildkit',
    },
    {
      created: '2024-05-01T11:30:02Z',
      created_by: 'EXPOSE map[22/tcp:{} 8080/tcp:{}]',
      empty_layer: true,
    },
    { created: '2024-05-01T11:30:03Z', created_by: 'WORKDIR /app', empty_layer: true },
    { created: '2024-05-01T11:30:04Z', created_by: 'CMD ["node" "server.js"]', empty_layer: true },
  ],
  config: {
    Env: [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'NODE_ENV=production',
    ],
    ExposedPorts: { '22/tcp': {}, '8080/tcp': {} },
    WorkingDir: '/app',
    Cmd: ['node', 'server.js'],
    Labels: { 'org.opencontainers.image.title': 'drydock demo app' },
  },
};
