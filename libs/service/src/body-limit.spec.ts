// Every service's body parser has the platform's one limit, the gateway's too (not Express's 100 kB).
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post, type INestApplication } from '@nestjs/common';
import { MAX_REQUEST_BODY_BYTES } from '@prasar/config';
import { LoggerModule } from 'nestjs-pino';
import { startService } from './index';

@Controller()
class EchoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: { text?: string }): { length: number } {
    return { length: body.text?.length ?? -1 };
  }
}

@Module({
  imports: [LoggerModule.forRoot({ pinoHttp: { level: 'silent' } })],
  controllers: [EchoController],
})
class EchoModule {}

describe('startService body limit', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await startService({ name: 'echo', module: EchoModule, port: 0 });
    const address = app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => app.close());

  const post = (bytes: number) => {
    const body = JSON.stringify({ text: 'x'.repeat(bytes - '{"text":""}'.length) });
    expect(Buffer.byteLength(body)).toBe(bytes);
    return fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  };

  it('accepts a body up to MAX_REQUEST_BODY_BYTES, beyond Express’s 100 kB default', async () => {
    expect(MAX_REQUEST_BODY_BYTES).toBeGreaterThan(100 * 1024);
    const response = await post(MAX_REQUEST_BODY_BYTES);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ length: MAX_REQUEST_BODY_BYTES - 11 });
    expect((await post(150 * 1024)).status).toBe(200);
  });

  it('refuses a body over the limit with 413', async () => {
    expect((await post(MAX_REQUEST_BODY_BYTES + 1)).status).toBe(413);
  });
});
