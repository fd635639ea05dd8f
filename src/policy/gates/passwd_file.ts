/**
 * `passwd_file`: checks on the accounts in the image's /etc/passwd, read from the files the
 * analysis retained (retainedFiles in the config; /etc/passwd is kept by default, with any
 * password hash replaced by HASH-REMOVED).
 */
import type { Fired, Gate, PolicyInput, Trigger, TriggerParam } from '../gate.js';
import type { TriggerParams } from '../params.js';
import { notRetainedReason, retainedText, textLines } from './content-search.js';
import { messageTriggerId } from './message-trigger-id.js';

const PASSWD = '/etc/passwd';

/** One account line: name:password:uid:gid:gecos:home:shell. */
interface PasswdEntry {
  line: string;
  name: string;
  uid?: string;
  gid?: string;
  shell?: string;
}

function passwdEntries(input: PolicyInput): PasswdEntry[] {
  const file = retainedText(input, PASSWD);
  if (file === undefined) return [];
  const lines = textLines(file.text);
  // The last line of a file kept only in part may be cut short.
  if (file.truncated) lines.pop();
  return lines
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name = '', , uid, gid, , , shell] = line.split(':');
      return { line, name, uid, gid, shell };
    });
}

const contentNotAvailable: Trigger = {
  name: 'content_not_available',
  description: `Fires if the analysis holds no entries of ${PASSWD}: the image has none, it is empty, or its content was not retained (retainedFiles in the drydock config).`,
  params: [],
  evaluate: (input) =>
    passwdEntries(input).length > 0
      ? []
      : [
          {
            triggerId: messageTriggerId(
              'passwd_file',
              'content_not_available',
              `Cannot locate ${PASSWD} in image stored files archive: check analyzer settings.`,
            ),
            message: whyNoEntries(input),
          },
        ],
};

function whyNoEntries(input: PolicyInput): string {
  return retainedText(input, PASSWD) === undefined
    ? notRetainedReason(input, PASSWD)
    : `${PASSWD} holds no account entries.`;
}

/** A trigger firing for each account whose candidate value (name, uid, shell …) is listed. */
function blacklist(options: {
  name: string;
  description: string;
  param: TriggerParam;
  /** What the value is, as Anchore's message names it: `user`, `uid`, `pentry` … */
  what: string;
  listed(params: TriggerParams): Set<string>;
  candidate(entry: PasswdEntry): string | undefined;
}): Trigger {
  return {
    name: options.name,
    description: options.description,
    params: [options.param],
    evaluate: (input, params) => {
      const listed = options.listed(params);
      return passwdEntries(input).flatMap((entry): Fired[] => {
        const value = options.candidate(entry);
        if (value === undefined || !listed.has(value)) return [];
        return [
          {
            triggerId: messageTriggerId(
              'passwd_file',
              options.name,
              `Blacklisted ${options.what} '${value}' found in image's ${PASSWD}: pentry=${entry.line}`,
            ),
            message: `Blacklisted ${options.what} '${value}' found in the image's ${PASSWD}${value === entry.line ? '' : `: ${entry.line}`}.`,
          },
        ];
      });
    },
  };
}

const listed = (name: string) => (params: TriggerParams) => new Set(params.list(name));
/** Anchore reads the listed ids as numbers (`007` is 7) and compares them with the field's text. */
const listedIds = (name: string) => (params: TriggerParams) =>
  new Set(params.list(name).map((id) => String(Number.parseInt(id, 10))));

const blacklistUsernames = blacklist({
  name: 'blacklist_usernames',
  description: `Fires for each account in ${PASSWD} whose user name is listed.`,
  param: {
    name: 'user_names',
    description: `Comma-separated user names that fire the trigger when an account in ${PASSWD} has one.`,
    kind: 'list',
    required: true,
    example: 'daemon,ftp',
  },
  what: 'user',
  listed: listed('user_names'),
  candidate: (entry) => entry.name,
});

const blacklistUserids = blacklist({
  name: 'blacklist_userids',
  description: `Fires for each account in ${PASSWD} whose numeric user id is listed.`,
  param: {
    name: 'user_ids',
    description: `Comma-separated numeric user ids that fire the trigger when an account in ${PASSWD} has one.`,
    kind: 'integer-list',
    required: true,
    example: '0,1',
  },
  what: 'uid',
  listed: listedIds('user_ids'),
  candidate: (entry) => entry.uid,
});

const blacklistGroupids = blacklist({
  name: 'blacklist_groupids',
  description: `Fires for each account in ${PASSWD} whose numeric primary group id is listed.`,
  param: {
    name: 'group_ids',
    description: `Comma-separated numeric group ids that fire the trigger when an account in ${PASSWD} has one as its primary group.`,
    kind: 'integer-list',
    required: true,
    example: '999,20',
  },
  what: 'gid',
  listed: listedIds('group_ids'),
  candidate: (entry) => entry.gid,
});

const blacklistShells = blacklist({
  name: 'blacklist_shells',
  description: `Fires for each account in ${PASSWD} whose login shell is listed (exact path).`,
  param: {
    name: 'shells',
    description: 'Comma-separated login shells (exact paths) that fire the trigger.',
    kind: 'list',
    required: true,
    example: '/bin/bash,/bin/zsh',
  },
  what: 'shell',
  listed: listed('shells'),
  candidate: (entry) => entry.shell,
});

const blacklistFullEntry = blacklist({
  name: 'blacklist_full_entry',
  description: `Fires if an account line of ${PASSWD} equals the given entry exactly (surrounding spaces aside). Password hashes are not kept, so an entry with a hash in its second field never matches.`,
  param: {
    name: 'entry',
    description: `A whole ${PASSWD} line to look for.`,
    kind: 'string',
    required: true,
    example: 'ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin',
  },
  what: 'pentry',
  listed: (params) => new Set([params.string('entry')?.trim() ?? '']),
  candidate: (entry) => entry.line,
});

export const passwdFileGate: Gate = {
  name: 'passwd_file',
  description: `Checks on ${PASSWD} as the analysis retained it: user names, user and group ids, shells, whole entries.`,
  triggers: [
    contentNotAvailable,
    blacklistUsernames,
    blacklistUserids,
    blacklistGroupids,
    blacklistShells,
    blacklistFullEntry,
  ],
};
