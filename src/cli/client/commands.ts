/** The engine client commands (anchore-cli's), one group per file, for main.ts to register. */
export { eventCommand } from './event.js';
export { withEngineCheck } from './evaluate-check.js';
export { imageCommand } from './image.js';
export { policyCommand } from './policy.js';
export { registryCommand } from './registry.js';
export { subscriptionCommand } from './subscription.js';
export { systemCommand } from './system.js';
