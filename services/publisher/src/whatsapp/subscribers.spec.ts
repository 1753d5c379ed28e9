import { createHmac } from 'node:crypto';
import { intentOf, waIdOf } from './subscribers.service';
import { signatureMatches } from './webhook.controller';

describe('WhatsApp subscribers and webhooks', () => {
  it.each([
    ['STOP', 'opt-out'],
    [' stop ', 'opt-out'],
    ['Unsubscribe', 'opt-out'],
    ['बंद', 'opt-out'],
    ['START', 'opt-in'],
    ['join', 'opt-in'],
    ['please stop sending', null],
    ['धन्यवाद', null],
  ])('reads %j as %s', (text, intent) => {
    expect(intentOf(text)).toBe(intent);
  });

  it('keeps the digits of a phone number as its WhatsApp id', () => {
    expect(waIdOf('+91 98260-12345')).toBe('919826012345');
  });

  it('accepts only the signature of the exact body under the app secret', () => {
    const body = Buffer.from('{"object":"whatsapp_business_account","text":"\\u0938"}');
    const good = `sha256=${createHmac('sha256', 'secret').update(body).digest('hex')}`;
    expect(signatureMatches(body, good, 'secret')).toBe(true);
    expect(signatureMatches(body, good, 'other')).toBe(false);
    expect(signatureMatches(Buffer.from(`${body} `), good, 'secret')).toBe(false);
    expect(signatureMatches(body, undefined, 'secret')).toBe(false);
    expect(signatureMatches(body, 'sha256=zz', 'secret')).toBe(false);
  });
});
