import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { createValidationPipe } from './common/validation';
import { PORTAL_CONFIG, type PortalConfig } from './config/portal-config';
import { ConfigModule } from './config/config.module';
import { ContactsModule } from './contacts/contacts.module';
import { buildDataSourceOptions, type DataSourceExtras } from './database/data-source-options';
import { openDataSource } from './database/open-data-source';
import { EventStreamModule } from './events/event-stream.module';
import { EventsModule } from './events/events.module';
import { FederationModule } from './federation/federation.module';
import { FilesModule } from './files/files.module';
import { GovernanceModule } from './governance/governance.module';
import { GuestbookModule } from './guestbook/guestbook.module';
import { IdentityModule } from './identity/identity.module';
import { HealthModule } from './health/health.module';
import { MessagesModule } from './messages/messages.module';
import { OwnerChatModule } from './owner-chat/owner-chat.module';
import { ProfileModule } from './profile/profile.module';

export interface AppModuleOptions {
  config: PortalConfig;
  database?: DataSourceExtras;
}

@Module({})
export class AppModule {
  static forRoot({ config, database }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...buildDataSourceOptions(config, database), retryAttempts: 0 }),
          // Migrations run in openDataSource (under a lock on PostgreSQL), not through migrationsRun.
          dataSourceFactory: async (options) => openDataSource(options!),
        }),
        AuthModule,
        IdentityModule,
        ProfileModule,
        ContactsModule,
        EventsModule,
        FederationModule,
        GovernanceModule,
        MessagesModule,
        FilesModule,
        EventStreamModule,
        GuestbookModule,
        OwnerChatModule,
        HealthModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}

export { PORTAL_CONFIG };
