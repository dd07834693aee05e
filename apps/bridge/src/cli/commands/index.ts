import { registerBridge } from './bridge';
import { registerContacts } from './contacts';
import { registerEvents } from './events';
import { registerFiles } from './files';
import { registerGuestbook } from './guestbook';
import { registerKeys } from './keys';
import { registerLogin } from './login';
import { registerMcp } from './mcp';
import { registerMessages } from './messages';
import { registerOwner } from './owner';
import { registerMe, registerProfile } from './profile';
import { registerRequests } from './requests';
import { registerReview } from './review';
import type { CliCommand } from '../program';

/** Every command, in the order the program's --help lists them. */
export function registerCommands(program: CliCommand): void {
  registerLogin(program);
  registerMe(program);
  registerProfile(program);
  registerContacts(program);
  registerRequests(program);
  registerMessages(program);
  registerReview(program);
  registerOwner(program);
  registerFiles(program);
  registerGuestbook(program);
  registerEvents(program);
  registerKeys(program);
  registerMcp(program);
  registerBridge(program);
}
