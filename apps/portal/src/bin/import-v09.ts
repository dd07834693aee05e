/**
 * `npm run import:v09 -- [--dry-run] <path to the v0.9 portal.db>`: imports a v0.9.x Agent P2P
 * database into this Portal's database (the PORTAL_* variables say which, as for the Portal).
 * Exit codes: 0 imported (or dry run done), 1 refused (one line saying why), 2 usage.
 */
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config/portal-config';
import { importV09, V09RefusedError } from '../importer/v09-importer';
import { formatV09Report } from '../importer/v09-report';

const USAGE = `Usage: npm run import:v09 -- [--dry-run] [--json] <path to the v0.9 portal.db>

Imports the contacts, messages (both directions), owner chat, guestbook and completed files of an
Agent P2P v0.9.x database (data/portal.db) into this Portal's database, in one transaction. The
database is the one the Portal uses: PORTAL_DATABASE_URL (PostgreSQL) or PORTAL_DATA_DIR (SQLite).
Running it again changes nothing. The v0.9 file is only read.

Options:
  --dry-run   read and count, write nothing
  --json      print the report as JSON
  --help      this text

Exit codes: 0 done, 1 refused (the reason is printed), 2 usage.
`;

async function main(argv: string[]): Promise<number> {
  let dryRun = false;
  let json = false;
  const paths: string[] = [];
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--json') json = true;
    else if (arg.startsWith('-') && arg !== '-') return usage(`unknown option ${arg}`);
    else paths.push(arg);
  }
  if (paths.length !== 1) return usage(paths.length === 0 ? 'the path of the v0.9 portal.db is missing' : 'give one path only');
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`import:v09: refused: ${error.message.replace(/\s+/g, ' ')}\n`);
    return 1;
  }
  try {
    // `npm run` starts scripts in the project's folder: a relative path means the caller's folder.
    const sourcePath = resolve(process.env.INIT_CWD ?? process.cwd(), paths[0]);
    const report = await importV09({ sourcePath, config, dryRun });
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatV09Report(report));
    return 0;
  } catch (error) {
    const reason =
      error instanceof V09RefusedError
        ? error.message
        : `the import failed, nothing was written: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`import:v09: refused: ${reason.replace(/\s+/g, ' ')}\n`);
    return 1;
  }
}

function usage(problem: string): number {
  process.stderr.write(`import:v09: ${problem}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`import:v09: refused: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
