export { runBridge } from './run';
export { readStatusFile, statusFilePath, writeStatusFile, STATUS_FILE_NAME } from './status-file';
export { buildWake, sessionKeyFor, type WakeEvent, type WakePlan, type WakeTextOptions } from './wake-text';
export * from './types';
