import 'reflect-metadata';
import { runService } from '@ccs/platform';
import { RecipientModule } from './recipient.module';

void runService('recipient', (config) => RecipientModule.forRoot(config));
