import { Global, Module } from '@nestjs/common';
import { BackgroundHealth } from './background-health.service';
import { HealthController } from './health.controller';

/** /health and /version, and the registry where background jobs report failures (global). */
@Global()
@Module({ controllers: [HealthController], providers: [BackgroundHealth], exports: [BackgroundHealth] })
export class HealthModule {}
