import 'reflect-metadata';
import { runService } from '@ccs/platform';
import { SenderModule } from './sender.module';

void runService('sender', (config) => SenderModule.forRoot(config));
