import { directoryShape, loadConfigOrExit, serviceShape } from '@prasar/config';

export const config = loadConfigOrExit({
  ...serviceShape,
  ...directoryShape,
  PORT: serviceShape.PORT.default(4101),
});
