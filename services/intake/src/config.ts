import { loadConfigOrExit, serviceShape } from '@prasar/config';

export const config = loadConfigOrExit({ ...serviceShape, PORT: serviceShape.PORT.default(4101) });
