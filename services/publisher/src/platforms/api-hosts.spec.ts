import { apiBaseUrlProblem, apiHostPolicy } from './api-hosts';
import { reasonOf } from './http';

describe("an account's API address", () => {
  const policy = apiHostPolicy(['api.example.gov.in:8443'], ['http://127.0.0.1:4900']);

  it.each([
    ['https://api.x.com', undefined],
    ['https://graph.facebook.com/v21.0', undefined],
    ['https://api.example.gov.in:8443', undefined],
    // The operator's own configured base URL (the local simulator) may be named, even over http.
    ['http://127.0.0.1:4900', undefined],
    ['http://127.0.0.1:4901', 'Platform APIs are reached over https only'],
    ['https://10.0.0.7', "Only a platform's API host"],
    ['https://api.example.gov.in', "Only a platform's API host"],
    ['ftp://api.x.com', 'Platform APIs are reached over https only'],
    ['https://a:b@api.x.com', 'A platform API URL carries no credentials'],
  ])('%s', (url, problem) => {
    const found = apiBaseUrlProblem(url, policy);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe('reasonOf', () => {
  it("keeps a platform's error messages and never echoes a raw answer", () => {
    expect(reasonOf({ detail: 'Too Many Requests', errors: [{ message: 'slow down' }] }, 'HTTP 429')).toBe(
      'Too Many Requests; slow down',
    );
    expect(reasonOf({ error: { message: 'Invalid OAuth access token', code: 190 } }, 'HTTP 400')).toBe(
      'Invalid OAuth access token',
    );
    // What an internal address answers (metadata, a page, keys) never reaches a log or the API.
    expect(reasonOf('{"AccessKeyId":"ASIA...","SecretAccessKey":"abc"}', 'HTTP 200')).toBe('HTTP 200');
    expect(reasonOf({ AccessKeyId: 'ASIA', Token: 'x' }, 'HTTP 502')).toBe('HTTP 502');
    expect(reasonOf('<html>internal dashboard</html>', 'HTTP 500')).toBe('HTTP 500');
  });
});
