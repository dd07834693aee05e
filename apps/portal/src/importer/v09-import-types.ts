import type { PortalConfig } from '../config/portal-config';
import type { DataSourceExtras } from '../database/data-source-options';
import type { V09Kind, V09Skip } from './v09-snapshot';

export interface V09ImportOptions {
  /** The v0.9 `portal.db`. */
  sourcePath: string;
  /** The Portal's configuration (its database and data directory). */
  config: Pick<PortalConfig, 'databaseUrl' | 'dataDir' | 'files'>;
  /** Read and count, write nothing. */
  dryRun?: boolean;
  database?: DataSourceExtras;
}

export interface V09KindCounts {
  /** Rows of this kind in the v0.9 file. */
  found: number;
  /** Written now (or, in a dry run, that would be). */
  imported: number;
  /** Brought in by an earlier import, or already on this Portal. */
  alreadyPresent: number;
  skipped: number;
}

export interface V09ImportReport {
  dryRun: boolean;
  sourcePath: string;
  /** The v0.9 Portal's own URL, when its file records it. */
  sourceUrl: string | null;
  counts: Record<V09Kind, V09KindCounts>;
  skipped: V09Skip[];
  /** Owner keys in the v0.9 file, never imported. */
  ownerKeys: number;
  absentTables: string[];
}
