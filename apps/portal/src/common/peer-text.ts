import { Transform } from 'class-transformer';

/**
 * Text written by another Portal (names, notes) is shown by every API client, terminals included.
 * Control characters (C0, DEL, C1) could rewrite a terminal line or forge log lines, and bidi
 * controls could make one name read as another, so none of them leaves the federation edge.
 */
const LINE_BREAKS = /\r\n|[\r\n\u0085\u2028\u2029]/g;
const SPACING_CONTROLS = /[\t\v\f]/g;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A one-line name: line breaks and tabs become spaces, other controls and bidi controls go. */
export function cleanPeerName(value: string): string {
  return value.replace(LINE_BREAKS, ' ').replace(SPACING_CONTROLS, ' ').replace(CONTROLS, '').replace(BIDI_CONTROLS, '').trim();
}

/** Free text: keeps line breaks as LF (CR LF, CR and Unicode line separators become LF), tabs become spaces, other controls and bidi controls go. */
export function cleanPeerMessage(value: string): string {
  return value
    .replace(LINE_BREAKS, '\n')
    .replace(SPACING_CONTROLS, ' ')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '')
    .replace(BIDI_CONTROLS, '');
}

/** DTO field decorator: cleans a peer's string before validation (other types pass, for @IsString to refuse). */
export function CleanPeerText(kind: 'name' | 'message'): PropertyDecorator {
  const clean = kind === 'name' ? cleanPeerName : cleanPeerMessage;
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? clean(value) : value));
}
