import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContactsModule } from '../contacts/contacts.module';
import { EventsModule } from '../events/events.module';
import { FederationModule } from '../federation/federation.module';
import { GovernanceModule } from '../governance/governance.module';
import { FileChunk } from './entities/file-chunk.entity';
import { FileTransfer } from './entities/file-transfer.entity';
import { FileBytes } from './file-bytes';
import { FileContacts } from './file-contacts';
import { FileIntakeService } from './file-intake.service';
import { FileRelayService } from './file-relay.service';
import { FileSweeperService } from './file-sweeper.service';
import { FilesController } from './files.controller';
import { FilesService } from './files.service';
import { IncomingFilesService } from './incoming-files.service';

/** Chunked, resumable, verified file transfer between the agent, its Portal and contacts' Portals. */
@Module({
  imports: [TypeOrmModule.forFeature([FileTransfer, FileChunk]), ContactsModule, FederationModule, GovernanceModule, EventsModule],
  controllers: [FilesController],
  providers: [FilesService, FileContacts, FileBytes, FileRelayService, FileIntakeService, IncomingFilesService, FileSweeperService],
  exports: [FilesService],
})
export class FilesModule {}
