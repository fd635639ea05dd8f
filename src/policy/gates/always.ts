/** `always`: fires once for every image; with GO or STOP it forces a verdict while testing. */
import type { Gate } from '../gate.js';

export const alwaysGate: Gate = {
  name: 'always',
  description:
    'Triggers that fire unconditionally if present in policy, useful for things like testing and blacklisting.',
  triggers: [
    {
      name: 'always',
      description:
        'Fires if present in a policy being evaluated. Useful for things like blacklisting images or testing mappings and whitelists by using this trigger in combination with policy mapping rules.',
      params: [],
      evaluate: () => [{ triggerId: 'always', message: 'always' }],
    },
  ],
};
