import { describe, expect, it } from 'vitest';
import { instructionFor, reconstructDockerfile, stripBuildArgs } from './dockerfile.js';

// `created_by` strings as real images carry them (docker-library images built with the classic
// builder, BuildKit images from Docker 23+, linuxserver.io, Oracle and Kong images).
const CLASSIC: [string, string][] = [
  [
    '/bin/sh -c #(nop) ADD file:aad4290d27580cc1a094ffaf98c3ca2fc5d699fe695dfb8e6e9fac20f1129450 in / ',
    'ADD file:aad4290d27580cc1a094ffaf98c3ca2fc5d699fe695dfb8e6e9fac20f1129450 /',
  ],
  ['/bin/sh -c #(nop)  CMD ["/bin/sh"]', 'CMD ["/bin/sh"]'],
  ['/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]', 'CMD ["nginx", "-g", "daemon off;"]'],
  [
    '/bin/sh -c #(nop)  ENTRYPOINT ["/docker-entrypoint.sh"]',
    'ENTRYPOINT ["/docker-entrypoint.sh"]',
  ],
  ['/bin/sh -c #(nop)  ENV NGINX_VERSION=1.21.5', 'ENV NGINX_VERSION=1.21.5'],
  [
    '/bin/sh -c #(nop)  LABEL maintainer=NGINX Docker Maintainers <docker-maint@nginx.com>',
    'LABEL maintainer=NGINX Docker Maintainers <docker-maint@nginx.com>',
  ],
  ['/bin/sh -c #(nop) WORKDIR /home/oracle', 'WORKDIR /home/oracle'],
  ['/bin/sh -c #(nop)  USER oracle', 'USER oracle'],
  ['/bin/sh -c #(nop)  EXPOSE 5309/udp 867', 'EXPOSE 5309/udp 867'],
  ['/bin/sh -c #(nop)  STOPSIGNAL SIGQUIT', 'STOPSIGNAL SIGQUIT'],
  ['/bin/sh -c #(nop)  VOLUME [/data]', 'VOLUME ["/data"]'],
  ['/bin/sh -c #(nop)  ARG LAUNCHPAD_BUILD_ARCH', 'ARG LAUNCHPAD_BUILD_ARCH'],
  [
    '/bin/sh -c #(nop)  MAINTAINER The CentOS Project <cloud-ops@centos.org>',
    'MAINTAINER The CentOS Project <cloud-ops@centos.org>',
  ],
  [
    '/bin/sh -c #(nop) COPY file:137a2eccd9bdb247c1a5d1c6f9a3e2e0e9f0c4f1a7b6d8e2c3b4a5f6e7d8c9b0 in /usr/local/bin/ ',
    'COPY file:137a2eccd9bdb247c1a5d1c6f9a3e2e0e9f0c4f1a7b6d8e2c3b4a5f6e7d8c9b0 /usr/local/bin/',
  ],
  ['/bin/sh -c #(nop) COPY dir:5dc710ad87c78959 in /app ', 'COPY dir:5dc710ad87c78959 /app'],
  ['/bin/sh -c apk add --update nodejs nodejs-npm', 'RUN apk add --update nodejs nodejs-npm'],
  [
    "/bin/sh -c [ ! -e /etc/nsswitch.conf ] && echo 'hosts: files dns' > /etc/nsswitch.conf",
    "RUN [ ! -e /etc/nsswitch.conf ] && echo 'hosts: files dns' > /etc/nsswitch.conf",
  ],
  ['|1 LOCALSTACK_BUILD_VERSION=4.0.3 /bin/bash -c make install', 'RUN make install'],
  [
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD" "/bin/true"] "1m0s" "5s" "0s" \'\\x00\'}',
    'HEALTHCHECK --interval=1m0s --timeout=5s CMD ["/bin/true"]',
  ],
  [
    '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "curl --fail -s http://127.0.0.1:8080 || exit 1"] "0s" "0s" "0s" \'\\x00\'}',
    'HEALTHCHECK CMD curl --fail -s http://127.0.0.1:8080 || exit 1',
  ],
  [
    '/bin/bash -o pipefail -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "nc -z -w5 127.0.0.1 8080 || exit 1"] "1m0s" "5s" "1m0s" \'\\x03\'}',
    'HEALTHCHECK --interval=1m0s --timeout=5s --start-period=1m0s --retries=3 CMD nc -z -w5 127.0.0.1 8080 || exit 1',
  ],
  ['/bin/bash -o pipefail -c apt-get update', 'RUN apt-get update'],
  [
    '/bin/sh -c #(nop)  SHELL [/bin/bash -o pipefail -c]',
    'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
  ],
  [
    'cmd /S /C powershell -Command Install-WindowsFeature Web-Server',
    'RUN powershell -Command Install-WindowsFeature Web-Server',
  ],
];

const BUILDKIT: [string, string][] = [
  [
    'ADD alpine-minirootfs-3.20.3-x86_64.tar.gz / # buildkit',
    'ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /',
  ],
  ['CMD ["/bin/sh"]', 'CMD ["/bin/sh"]'],
  [
    'CMD ["gunicorn" "-w" "4" "-b" "0.0.0.0:8080" "app:app"]',
    'CMD ["gunicorn", "-w", "4", "-b", "0.0.0.0:8080", "app:app"]',
  ],
  [
    'RUN /bin/sh -c apt-get update && apt-get install -y openssh-server # buildkit',
    'RUN apt-get update && apt-get install -y openssh-server',
  ],
  ['RUN /bin/sh -c mkdir /var/run/sshd # buildkit', 'RUN mkdir /var/run/sshd'],
  [
    'RUN |3 BUILD_DATE=2025-02-25T20:36:45+00:00 VERSION=2.8.2-r3-ls123 SMOKEPING_VERSION=2.8.2-r3 /bin/sh -c echo "**** install packages ****" # buildkit',
    'RUN echo "**** install packages ****"',
  ],
  [
    'RUN |5 PIP_INDEX_URL=https://pypi.org/simple VLLM_REPO=https://github.com/vllm-project/vllm.git VLLM_TAG=v0.23.0 VLLM_COMMIT= /bin/bash -c git clone --depth 1 --single-branch -b $VLLM_TAG $VLLM_REPO /vllm-workspace/vllm # buildkit',
    'RUN git clone --depth 1 --single-branch -b $VLLM_TAG $VLLM_REPO /vllm-workspace/vllm',
  ],
  [
    "RUN sh -c echo 'wiz_eks_challenge{xxxxxx}' > /flag.txt # buildkit",
    "RUN echo 'wiz_eks_challenge{xxxxxx}' > /flag.txt",
  ],
  ['COPY rootfs / # buildkit', 'COPY rootfs /'],
  ['COPY /root-out/ / # buildkit', 'COPY /root-out/ /'],
  [
    'ADD --chmod=755 https://raw.githubusercontent.com/linuxserver/docker-mods/mod-scripts/lsiown.v1 /usr/bin/lsiown # buildkit',
    'ADD --chmod=755 https://raw.githubusercontent.com/linuxserver/docker-mods/mod-scripts/lsiown.v1 /usr/bin/lsiown',
  ],
  ['WORKDIR /opt/tomcat', 'WORKDIR /opt/tomcat'],
  ['USER 65533:65533', 'USER 65533:65533'],
  ['ARG BUILD_DATE=2025-02-15T13:30:29+00:00', 'ARG BUILD_DATE=2025-02-15T13:30:29+00:00'],
  ['ENV LSIO_FIRST_PARTY=true', 'ENV LSIO_FIRST_PARTY=true'],
  ['LABEL maintainer=TheLamer', 'LABEL maintainer=TheLamer'],
  ['EXPOSE map[22/tcp:{}]', 'EXPOSE 22/tcp'],
  [
    'EXPOSE map[8000/tcp:{} 8001/tcp:{} 8443/tcp:{} 8444/tcp:{}]',
    'EXPOSE 8000/tcp 8001/tcp 8443/tcp 8444/tcp',
  ],
  ['VOLUME [/config /data]', 'VOLUME ["/config", "/data"]'],
  ['STOPSIGNAL SIGQUIT', 'STOPSIGNAL SIGQUIT'],
  [
    'HEALTHCHECK &{["CMD-SHELL" "kong health"] "1m0s" "10s" "0s" "0s" \'\\n\'}',
    'HEALTHCHECK --interval=1m0s --timeout=10s --retries=10 CMD kong health',
  ],
  [
    'HEALTHCHECK &{["CMD" "/ko-app/app" "health" "--quiet"] "30s" "3s" "5s" "0s" \'\\x03\'}',
    'HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD ["/ko-app/app", "health", "--quiet"]',
  ],
  ['HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" \'\\x00\'}', 'HEALTHCHECK NONE'],
  ['ENTRYPOINT ["/usr/sbin/apache2ctl"]', 'ENTRYPOINT ["/usr/sbin/apache2ctl"]'],
  // Exec-form RUN: BuildKit records the arguments without a shell.
  ['RUN |1 TARGETARCH=amd64 go build -o /out/app . # buildkit', 'RUN go build -o /out/app .'],
];

describe('instructionFor', () => {
  it.each(CLASSIC)('classic builder: %s', (createdBy, expected) => {
    expect(instructionFor({ created_by: createdBy })).toBe(expected);
  });

  it.each(BUILDKIT)('BuildKit: %s', (createdBy, expected) => {
    expect(instructionFor({ created_by: createdBy })).toBe(expected);
  });

  it('keeps a Go-quoted value with escapes as proper JSON', () => {
    expect(instructionFor({ created_by: 'CMD ["echo" "a\\"b" "tab\\there" "\\u00e9"]' })).toBe(
      'CMD ["echo", "a\\"b", "tab\\there", "é"]',
    );
  });

  it('leaves a value it cannot parse as it was', () => {
    expect(instructionFor({ created_by: 'CMD ["unterminated]' })).toBe('CMD ["unterminated]');
    expect(instructionFor({ created_by: 'HEALTHCHECK &{garbage}' })).toBe('HEALTHCHECK &{garbage}');
  });

  it('continues a multi-line command with backslashes so it stays one instruction', () => {
    expect(instructionFor({ created_by: 'RUN /bin/sh -c set -e\napt-get update # buildkit' })).toBe(
      'RUN set -e \\\napt-get update',
    );
  });

  it('shows a classic exec-form RUN (a layer without a shell) as RUN', () => {
    expect(instructionFor({ created_by: '/usr/bin/apt-get update' })).toBe(
      'RUN /usr/bin/apt-get update',
    );
  });

  it('shows a non-Dockerfile step that made no layer as a comment', () => {
    expect(instructionFor({ created_by: 'jib-maven-plugin:3.1.4', empty_layer: true })).toBe(
      '# jib-maven-plugin:3.1.4',
    );
  });

  it('comments every line of a multi-line non-Dockerfile step', () => {
    expect(instructionFor({ created_by: 'jib: classes\nUSER root', empty_layer: true })).toBe(
      '# jib: classes\n# USER root',
    );
  });

  it('stays linear on a megabyte of shell-like build-arg text', () => {
    const words = 'sh -a '.repeat(175_000);
    const createdBy = `|1 A=x ${words}`;
    expect(createdBy.length).toBeGreaterThan(1024 * 1024);
    expect(instructionFor({ created_by: createdBy })).toBe(`RUN ${words.trim()}`);
  });

  it('marks steps without created_by', () => {
    expect(instructionFor({})).toBe('# step not recorded');
    expect(instructionFor({ created_by: '  ', comment: 'imported\nfrom tar' })).toBe(
      '# step not recorded (imported from tar)',
    );
  });
});

describe('stripBuildArgs', () => {
  it.each([
    ['|2 A=1 B=2 /bin/sh -c make', '/bin/sh -c make'],
    ['|1 MSG=hello world /bin/sh -c echo "$MSG"', '/bin/sh -c echo "$MSG"'],
    ['|2 MSG=hello world B=2 /bin/sh -c make', '/bin/sh -c make'],
    ['|1 EMPTY= /bin/sh -c make', '/bin/sh -c make'],
    ['|0 /bin/sh -c make', '/bin/sh -c make'],
    ['/bin/sh -c make', '/bin/sh -c make'],
    // Fewer pairs than announced: the shell still shows where the command starts.
    ['|3 A=1 /bin/sh -c make', '/bin/sh -c make'],
    // Neither the pairs nor a shell: not a prefix we understand; keep it all.
    ['|3 A=1 make', '|3 A=1 make'],
  ])('%s', (input, expected) => {
    expect(stripBuildArgs(input)).toBe(expected);
  });

  it('stays fast on a hostile prefix', () => {
    const hostile = `|9999 ${'A=x '.repeat(5_000)}`;
    expect(stripBuildArgs(hostile)).toBe(hostile);
  });
});

describe('reconstructDockerfile', () => {
  it('rebuilds a classic alpine-based image from its history', () => {
    const history = [
      {
        created: '2021-08-27T17:19:45.553092363Z',
        created_by:
          '/bin/sh -c #(nop) ADD file:aad4290d27580cc1a094ffaf98c3ca2fc5d699fe695dfb8e6e9fac20f1129450 in / ',
      },
      {
        created: '2021-08-27T17:19:45.758611523Z',
        created_by: '/bin/sh -c #(nop)  CMD ["/bin/sh"]',
        empty_layer: true,
      },
      { created_by: 'RUN /bin/sh -c rm -f ./foo # buildkit', comment: 'buildkit.dockerfile.v0' },
    ];
    expect(reconstructDockerfile(history)).toBe(
      [
        'FROM scratch',
        'ADD file:aad4290d27580cc1a094ffaf98c3ca2fc5d699fe695dfb8e6e9fac20f1129450 /',
        'CMD ["/bin/sh"]',
        'RUN rm -f ./foo',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is no history', () => {
    expect(reconstructDockerfile([])).toBe(
      'FROM scratch\n# the image config records no build history\n',
    );
  });
});
