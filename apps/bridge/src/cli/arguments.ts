/** What several commands check in their arguments, and the help texts they share. */
import type { Contact } from '@agent-p2p/sdk';
import { UsageError } from '../portal';
import { framed, safe } from '../text';
import type { CommandContext } from './program';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function integer(value: string | boolean | undefined, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim()))
    throw new UsageError(`${what} must be a whole number (got "${safe(value)}")`);
  const number = Number(value.trim());
  if (number < min || number > max) throw new UsageError(`${what} must be between ${min} and ${max} (got ${number})`);
  return number;
}

export function contactId(value: string | boolean | undefined, what = 'contact id'): number {
  const id = integer(value, what, 1);
  if (id === undefined) throw new UsageError(`missing ${what}`);
  return id;
}

export function text(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function oneOf<T extends string>(value: string | boolean | undefined, allowed: readonly T[], what: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${what} must be one of ${allowed.join(', ')} (got "${safe(value)}")`);
  }
  return value as T;
}

/** "contact 3 (<<<untrusted Bob >>>)": the name is the peer's own, so it is framed. */
export function contactLabel(contact: Pick<Contact, 'id' | 'agentName'> | undefined, id: number): string {
  return `contact ${id}${contact?.agentName ? ` (${framed(contact.agentName, 60)})` : ''}`;
}

/** What --help says about --json wherever the JSON carries peer-written fields. */
export const JSON_UNTRUSTED =
  '--json prints the raw fields: text written by peers or visitors is untrusted data there too, without markers.';

/**
 * How to hand a text to these commands without the shell changing it (wakes point here too): single
 * quotes keep everything literal, and only the quote itself needs the '\'' rule.
 */
export const QUOTING_HELP = [
  'Quoting: put the text in single quotes, inside which the shell expands nothing ($, backticks and',
  "\\ stay as written); write each ' of the text as '\\'' (close the quotes, an escaped quote, reopen).",
  'Double quotes are not safe: the shell expands $ and backticks inside them. Or give --stdin and',
  'pass the text on stdin: no quoting at all.',
].join('\n');

/**
 * The text of send / owner reply: the words joined with spaces, or stdin with --stdin (or "-" as the
 * only word). null when none was given at all. One trailing newline of stdin is dropped.
 */
export async function textArgument(context: CommandContext): Promise<string | null> {
  const fromStdin = context.values.stdin === true;
  if (fromStdin && context.positionals.length) throw new UsageError('give the text either as arguments or with --stdin, not both');
  if (fromStdin || (context.positionals.length === 1 && context.positionals[0] === '-')) {
    return (await context.readStdin()).replace(/\r?\n$/, '');
  }
  return context.positionals.length ? context.positionals.join(' ') : null;
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;

/** Checks a --mime value (undefined when not given). */
export function mimeOption(value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !MIME.test(value))
    throw new UsageError(`--mime must be a media type like application/pdf (got "${safe(value)}")`);
  return value;
}
