import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BridgeStatus } from './types';

export const STATUS_FILE_NAME = 'bridge-status.json';

export function statusFilePath(stateDir: string): string {
  return join(stateDir, STATUS_FILE_NAME);
}

/** The status the running (or last) Bridge wrote, or null when there is none or it is unreadable. */
export function readStatusFile(stateDir: string): BridgeStatus | null {
  try {
    const value: unknown = JSON.parse(readFileSync(statusFilePath(stateDir), 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as BridgeStatus) : null;
  } catch {
    return null;
  }
}

/** Replaces the status file atomically (temp file + rename), readable by its owner only. */
export function writeStatusFile(stateDir: string, status: BridgeStatus): void {
  const file = statusFilePath(stateDir);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(status, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}
