/**
 * Builds the demo image offline, as an OCI layout: a small Debian-flavoured web app in three layers
 * (gzip, zstd, gzip) with the things an inspection should surface — an suid binary, a sticky /tmp, a
 * file deleted by a later layer, a hard link, a symlinked os-release, port 22 exposed, Debian
 * packages (one of which installed a Python package), npm packages, and an AWS key left in a file.
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

/** A dpkg database as dpkg writes it (fields trimmed to what drydock reads). */
const dpkgStatus = `Package: base-files
Status: install ok installed
Priority: required
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u5
Description: Debian base system miscellaneous files

Package: bash
Status: install ok installed
Priority: required
Installed-Size: 7164
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell

Package: libc6
Status: install ok installed
Priority: optional
Installed-Size: 12985
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

Package: python3-requests
Status: install ok installed
Priority: optional
Installed-Size: 230
Maintainer: Debian Python Team <team+python@tracker.debian.org>
Architecture: all
Source: requests
Version: 2.28.1+dfsg-1
Description: elegant and simple HTTP library for Python3, built for human beings
`;

const requestsMetadata = `Metadata-Version: 2.1
Name: requests
Version: 2.28.1
Summary: Python HTTP for Humans.
License: Apache 2.0
`;

const requestsDir = 'usr/lib/python3/dist-packages/requests-2.28.1.dist-info';

const npmPackage = (name: string, version: string, license: string): string =>
  `${JSON.stringify({ name, version, license })}\n`;

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
        { path: `${requestsDir}/METADATA`, content: requestsMetadata },
        { path: 'var/lib/dpkg/status', content: dpkgStatus },
        { path: 'var/lib/dpkg/info/bash.list', content: '/bin/bash\n' },
        {
          path: 'var/lib/dpkg/info/python3-requests.list',
          content: `/${requestsDir}\n/${requestsDir}/METADATA\n`,
        },
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
        {
          path: 'app/node_modules/express/package.json',
          content: npmPackage('express', '4.17.1', 'MIT'),
        },
        { path: 'app/node_modules/ms/package.json', content: npmPackage('ms', '2.0.0', 'MIT') },
        {
          path: 'app/.env',
          content: 'AWS_ACCESS_KEY_ID=AKIA2DRYDOCKDEMO7Q4Z\nLOG_LEVEL=info\n',
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
