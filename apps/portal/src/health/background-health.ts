// The background jobs' health lives in background-health.service.ts (what other features import).
export { BackgroundHealth, backgroundBackoffMs, type FailingJob } from './background-health.service';
