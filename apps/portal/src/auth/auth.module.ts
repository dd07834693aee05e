import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProfileModule } from '../profile/profile.module';
import { AuthGuard } from './auth.guard';
import { CredentialsService } from './credentials.service';
import { ConsoleSession } from './entities/console-session.entity';
import { OwnerKey } from './entities/owner-key.entity';
import { Setting } from './entities/setting.entity';
import { FirstStartService } from './first-start.service';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';
import { PeerCredentialsService } from './peer-credentials.service';
import { SessionController } from './session.controller';
import { SessionService } from './session.service';

@Module({
  imports: [TypeOrmModule.forFeature([OwnerKey, ConsoleSession, Setting]), ProfileModule],
  controllers: [KeysController, SessionController],
  providers: [
    KeysService,
    SessionService,
    CredentialsService,
    PeerCredentialsService,
    FirstStartService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [KeysService, SessionService, CredentialsService, PeerCredentialsService, FirstStartService],
})
export class AuthModule {}
