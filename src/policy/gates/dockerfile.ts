/**
 * `dockerfile`: checks on how the image was built, read from the Dockerfile the user supplied
 * (`--dockerfile`) or, without one, the one rebuilt from the image history. Exposed ports and the
 * effective user are also read from the image config, which records what the runtime will use.
 */
import type { Dockerfile } from '../../model/index.js';
import type { Fired, Gate, PolicyInput, Trigger, TriggerParam } from '../gate.js';
import type { TriggerParams } from '../params.js';
import { TEXT, TEXT_CHECKS, clip, prepareCheck, unusableRule } from './check-operators.js';
import { parseDockerfile, type DockerfileInstruction } from './dockerfile-instructions.js';
import { effectiveUser, sameUser } from './effective-user.js';
import { messageTriggerId } from './message-trigger-id.js';

const GATE = 'dockerfile';

/** The instructions Anchore's `instruction` trigger accepts, in its order. */
const INSTRUCTIONS = [
  'ADD',
  'ARG',
  'COPY',
  'CMD',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'USER',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'VOLUME',
  'WORKDIR',
];

const ACTUAL_DOCKERFILE_ONLY: TriggerParam = {
  name: 'actual_dockerfile_only',
  description:
    'Only evaluate against a user-provided Dockerfile (--dockerfile); skip evaluation when the Dockerfile was rebuilt from the image history. Default is false.',
  kind: 'boolean',
  required: false,
  default: 'false',
  example: 'true',
};

const LIST_TYPE = (what: string): TriggerParam => ({
  name: 'type',
  description: `How to treat the provided ${what}: whitelist fires for any not in the list, blacklist for any in it.`,
  kind: 'enum',
  required: true,
  values: ['whitelist', 'blacklist'],
  example: 'blacklist',
});

/** Each Dockerfile is parsed once, however many rules read it. */
const parsed = new WeakMap<Dockerfile, DockerfileInstruction[]>();

function instructionsOf(dockerfile: Dockerfile): DockerfileInstruction[] {
  let instructions = parsed.get(dockerfile);
  if (instructions === undefined) {
    instructions = parseDockerfile(dockerfile.text);
    parsed.set(dockerfile, instructions);
  }
  return instructions;
}

/** The Dockerfile a trigger reads: none when it wants a supplied one and none was. */
function checkedDockerfile(input: PolicyInput, params: TriggerParams): Dockerfile | undefined {
  const { dockerfile } = input.metadata;
  const actualOnly = params.boolean(ACTUAL_DOCKERFILE_ONLY.name) === true;
  return actualOnly && dockerfile.origin !== 'supplied' ? undefined : dockerfile;
}

function where(dockerfile: Dockerfile, line: number): string {
  const which = dockerfile.origin === 'supplied' ? 'supplied' : 'rebuilt from history';
  return `Dockerfile (${which}) line ${line}`;
}

const instructionTrigger: Trigger = {
  name: 'instruction',
  description:
    'Triggers if any directives in the list are found to match the described condition in the dockerfile.',
  params: [
    {
      name: 'instruction',
      description: 'The Dockerfile instruction to check.',
      kind: 'enum',
      required: true,
      values: INSTRUCTIONS,
      example: 'FROM',
    },
    {
      name: 'check',
      description:
        'The type of check to perform: like/not_like take a regular expression matched at the start of the instruction arguments; in/not_in a comma-separated list.',
      kind: 'enum',
      required: true,
      values: TEXT_CHECKS,
      example: '=',
    },
    {
      name: 'value',
      description:
        'The value to check the dockerfile instruction against (every check but exists and not_exists needs one).',
      kind: 'string',
      required: false,
      example: 'scratch',
    },
    ACTUAL_DOCKERFILE_ONLY,
  ],
  evaluate(input, params) {
    const dockerfile = checkedDockerfile(input, params);
    if (dockerfile === undefined) return [];
    const keyword = (params.string('instruction') ?? '').trim().toUpperCase();
    const check = params.choice('check') ?? '';
    const value = params.string('value');
    const lines = instructionsOf(dockerfile).filter((i) => i.keyword === keyword);
    if (check === 'not_exists')
      return lines.length > 0 ? [] : [instructionMissing(dockerfile, keyword, check)];
    const prepared = check === 'exists' ? { holds: () => true } : prepareCheck(check, value, TEXT);
    if (prepared.problem !== undefined) return [unusableRule(prepared.problem)];
    return lines
      .filter((line) => prepared.holds(line.args))
      .map((line) => instructionMatched(dockerfile, line, check, value ?? ''));
  },
};

function instructionMatched(
  dockerfile: Dockerfile,
  line: DockerfileInstruction,
  check: string,
  value: string,
): Fired {
  const anchore = `Dockerfile directive '${line.keyword}' check '${check}' matched against '${value}' for line '${line.args}'`;
  const compared = check === 'exists' ? 'is present' : `matches the check ${check} '${value}'`;
  return {
    triggerId: messageTriggerId(GATE, 'instruction', anchore),
    message: `${where(dockerfile, line.line)}: ${line.keyword} ${clip(line.args)} ${compared}`,
  };
}

function instructionMissing(dockerfile: Dockerfile, keyword: string, check: string): Fired {
  const anchore = `Dockerfile directive '${keyword}' not found, matching condition '${check}' check`;
  const which = dockerfile.origin === 'supplied' ? 'supplied' : 'rebuilt from the image history';
  return {
    triggerId: messageTriggerId(GATE, 'instruction', anchore),
    message: `the Dockerfile (${which}) has no ${keyword} instruction`,
  };
}

const effectiveUserTrigger: Trigger = {
  name: 'effective_user',
  description:
    "Checks if the effective user matches the provided user names, either as a whitelist or blacklist depending on the type parameter setting. The effective user is the image config's User (what the runtime uses, the base image's USER included), root when unset; a user:group spec is compared by its user part, and uid 0 counts as root.",
  params: [
    {
      name: 'users',
      description:
        'User names to check against as the effective user (last user entry) in the images history.',
      kind: 'list',
      required: true,
      example: 'root,docker',
    },
    LIST_TYPE('user names'),
  ],
  evaluate(input, params) {
    const user = effectiveUser(input.metadata);
    const users = params.list('users');
    const listed = users.some((u) => sameUser(u, user));
    const allowList = params.choice('type') === 'whitelist';
    if (allowList === listed) return [];
    const [anchoreEnd, ours] = allowList
      ? [
          'which is not on the allowed list',
          `which is not on the allowed list (${users.join(', ')})`,
        ]
      : ['which is explicity not allowed', 'which the policy does not allow'];
    return [
      {
        triggerId: messageTriggerId(
          GATE,
          'effective_user',
          `User ${user} found as effective user, ${anchoreEnd}`,
        ),
        message: `the image runs as user ${user} (image config User), ${ours}`,
      },
    ];
  },
};

/** One port or range an image exposes, and where that was seen. */
interface ExposedPort {
  /** As written: `22`, `8080/tcp`, `8000-8010/udp`, `$PORT`. */
  token: string;
  /** Undefined for a token that is not a port (an unexpanded `$VARIABLE`). */
  range?: { from: number; to: number; protocol: string };
  seen: string;
}

const PORT_TOKEN = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i;

function exposedPort(token: string, seen: string): ExposedPort {
  const m = PORT_TOKEN.exec(token);
  if (m === null) return { token, seen };
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return { token, seen, range: { from, to, protocol: (m[3] ?? 'tcp').toLowerCase() } };
}

/**
 * What the Dockerfile's EXPOSE lines name, then (unless only a supplied Dockerfile counts) the
 * image config's ExposedPorts, which also hold the base image's; each port once.
 */
function exposedPorts(input: PolicyInput, dockerfile: Dockerfile, actualOnly: boolean) {
  const ports = new Map<string, ExposedPort>();
  const add = (port: ExposedPort): void => {
    const key = port.range
      ? `${port.range.from}-${port.range.to}/${port.range.protocol}`
      : port.token;
    if (!ports.has(key)) ports.set(key, port);
  };
  for (const line of instructionsOf(dockerfile).filter((i) => i.keyword === 'EXPOSE'))
    for (const token of line.args.split(/\s+/).filter((t) => t !== ''))
      add(exposedPort(token, where(dockerfile, line.line)));
  if (!actualOnly)
    for (const key of Object.keys(input.metadata.config.ExposedPorts ?? {}))
      add(exposedPort(key, 'image config ExposedPorts'));
  return [...ports.values()];
}

const exposedPortsTrigger: Trigger = {
  name: 'exposed_ports',
  description:
    "Evaluates the set of ports exposed. Allows configuring whitelist or blacklist behavior. If type=whitelist, then any ports found exposed that are not in the list will cause the trigger to fire. If type=blacklist, then any ports exposed that are in the list will cause the trigger to fire. Ports come from the EXPOSE lines of the Dockerfile and from the image config (which also holds the base image's); with actual_dockerfile_only=true, only from the supplied Dockerfile. A port given as 0 stands for every port.",
  params: [
    {
      name: 'ports',
      description: 'List of port numbers.',
      kind: 'integer-list',
      required: true,
      example: '80,8080,8088',
    },
    LIST_TYPE('port numbers'),
    ACTUAL_DOCKERFILE_ONLY,
  ],
  evaluate(input, params) {
    const dockerfile = checkedDockerfile(input, params);
    if (dockerfile === undefined) return [];
    const listed = params.list('ports').map(Number);
    const ports = exposedPorts(
      input,
      dockerfile,
      params.boolean(ACTUAL_DOCKERFILE_ONLY.name) === true,
    );
    return params.choice('type') === 'whitelist'
      ? ports.flatMap((port) => notAllowed(port, listed))
      : ports.flatMap((port) => denied(port, listed));
  },
};

function denied(port: ExposedPort, listed: readonly number[]): Fired[] {
  const { range } = port;
  if (range === undefined) return [];
  const hits = listed.includes(0) ? [0] : listed.filter((p) => p >= range.from && p <= range.to);
  return hits.map((p) => {
    const shown = p === 0 || port.token === String(p) ? port.token : `${p}/${range.protocol}`;
    return {
      triggerId: messageTriggerId(
        GATE,
        'exposed_ports',
        `Dockerfile exposes port (${shown}) which is in policy file DENIEDPORTS list`,
      ),
      message: `port ${shown} is exposed (${port.seen}), which the policy does not allow`,
    };
  });
}

function notAllowed(port: ExposedPort, listed: readonly number[]): Fired[] {
  const { range } = port;
  if (range !== undefined && allAllowed(range, listed)) return [];
  const why =
    range === undefined
      ? 'which is not a port number and cannot be checked against the allowed list'
      : `which is not on the allowed list (${listed.join(', ')})`;
  return [
    {
      triggerId: messageTriggerId(
        GATE,
        'exposed_ports',
        `Dockerfile exposes port (${port.token}) which is not in policy file ALLOWEDPORTS list`,
      ),
      message: `port ${port.token} is exposed (${port.seen}), ${why}`,
    },
  ];
}

/** Whether every port of the range is listed (a range is bounded by the port space). */
function allAllowed(range: { from: number; to: number }, listed: readonly number[]): boolean {
  const inRange = new Set(listed.filter((p) => p >= range.from && p <= range.to));
  return inRange.size === range.to - range.from + 1;
}

const noDockerfileTrigger: Trigger = {
  name: 'no_dockerfile_provided',
  description:
    'Triggers if anchore analysis was performed without supplying the actual image Dockerfile.',
  params: [],
  evaluate(input) {
    if (input.metadata.dockerfile.origin === 'supplied') return [];
    return [
      {
        triggerId: messageTriggerId(
          GATE,
          'no_dockerfile_provided',
          'Image was not analyzed with an actual Dockerfile',
        ),
        message:
          'the image was analysed without its Dockerfile (--dockerfile), so the dockerfile checks read one rebuilt from the image history',
      },
    ];
  },
};

export const dockerfileGate: Gate = {
  name: GATE,
  description:
    'Checks against the content of a dockerfile if provided, or a guessed dockerfile based on docker layer history if the dockerfile is not provided.',
  triggers: [instructionTrigger, effectiveUserTrigger, exposedPortsTrigger, noDockerfileTrigger],
};
