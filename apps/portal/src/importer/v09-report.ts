import type { V09ImportReport } from './v09-importer';
import type { V09Kind } from './v09-source';

const LABELS: Record<V09Kind, string> = {
  contacts: 'contacts',
  messages: 'messages',
  ownerChat: 'owner chat',
  guestbook: 'guestbook',
  files: 'files',
};

/** At most this many skipped rows are listed one by one (all are counted). */
const SKIPS_LISTED = 50;

/** The import report as printed by `npm run import:v09`. Text from the v0.9 file is printed escaped. */
export function formatV09Report(report: V09ImportReport): string {
  const lines: string[] = [];
  lines.push(
    report.dryRun ? 'Import of a v0.9.x database: DRY RUN, nothing was written.' : 'Import of a v0.9.x database: done, in one transaction.',
  );
  lines.push(`Source: ${printable(report.sourcePath)}${report.sourceUrl ? ` (the v0.9 Portal ${printable(report.sourceUrl)})` : ''}`);
  lines.push('');
  const done = report.dryRun ? 'would import' : 'imported';
  const header = ['', 'found', done, 'already present', 'skipped'];
  const rows = (Object.keys(LABELS) as V09Kind[]).map((kind) => {
    const c = report.counts[kind];
    return [LABELS[kind], String(c.found), String(c.imported), String(c.alreadyPresent), String(c.skipped)];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) {
    lines.push(
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
        .join('   ')
        .trimEnd(),
    );
  }
  if (report.absentTables.length > 0) lines.push('', `Not in this file (nothing to import from them): ${report.absentTables.join(', ')}`);
  if (report.skipped.length > 0) {
    lines.push('', 'Skipped:');
    for (const skip of report.skipped.slice(0, SKIPS_LISTED))
      lines.push(`  ${LABELS[skip.kind]} #${printable(skip.sourceId)}: ${printable(skip.reason)}`);
    if (report.skipped.length > SKIPS_LISTED) lines.push(`  … and ${report.skipped.length - SKIPS_LISTED} more`);
  }
  lines.push(
    '',
    'Contacts: v0.9 shared keys are not trusted by this Portal and were not imported. Imported contacts',
    'show their history but stay `imported` (no new messages) until a new handshake: once the peer runs',
    'this Portal, add it again (`agent-p2p contacts add <its URL>`, or the console) and the same contact',
    'becomes active when their owner approves.',
    '',
    report.ownerKeys > 0
      ? `Owner keys: the ${report.ownerKeys} v0.9 owner key(s) were not imported (v0.9 stored them in plaintext).`
      : 'Owner keys: v0.9 owner keys are never imported (v0.9 stored them in plaintext).',
    'Create new ones with `agent-p2p keys create` or in the console (Settings).',
  );
  return `${lines.join('\n')}\n`;
}

/** Control characters (and the escape character) shown as \\uXXXX, so a crafted row cannot drive the terminal. */
function printable(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
