// The process's configuration: read once, at start-up (main.ts and app.module.ts only).
import { loadConfigOrExit } from '@prasar/config';
import { publisherShape } from './settings';

export const config = loadConfigOrExit(publisherShape);
