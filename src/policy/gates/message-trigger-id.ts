/**
 * Anchore's trigger id for a firing that names no instance of its own (a CVE, a file): the md5 of
 * the gate name, the trigger name and Anchore's message text, a legacy of the Anchore CLI. Computed
 * from the text Anchore would print, not from our clearer message, so that allowlist items written
 * for Anchore Engine name the same firings here.
 */
import { createHash } from 'node:crypto';

export function messageTriggerId(gate: string, trigger: string, anchoreMessage: string): string {
  return createHash('md5').update(`${gate}${trigger}${anchoreMessage}`, 'utf8').digest('hex');
}
