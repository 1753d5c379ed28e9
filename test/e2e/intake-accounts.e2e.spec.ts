// End to end through the gateway: intake learns a department's accounts from the publisher's
// AccountConnected event on the real topic (consumed by the running service's own group), then
// validates, creates, lists and submits content for them.
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import pino from 'pino';
import { departmentIdOf } from '@prasar/auth';
import {
  AccountConnectedSchema,
  encodeEvent,
  eventKeyOf,
  eventTypeOf,
  Platform,
  TOPICS,
} from '@prasar/contracts';
import { createIdempotentProducer, createKafka, HEADER, PROTOBUF_CONTENT_TYPE } from '@prasar/kafka';
import {
  eventually,
  gql,
  portsFor,
  readInfraEnv,
  startStack,
  tokenFor,
  type RunningStack,
} from '@prasar/testing';

// Every process startStack starts; ports of their own, so this runs beside the other e2e specs.
const PORTS = portsFor(26000);

describe('intake: accounts from the publisher, content through the gateway', () => {
  let stack: RunningStack;
  let producer: Producer;
  const run = randomUUID().slice(0, 8);
  const code = `agri-${run}`;
  const departmentId = departmentIdOf(code);
  const account = `x-${code}`;
  let admin: string;
  let editor: string;

  beforeAll(async () => {
    const env = readInfraEnv();
    stack = await startStack({ ports: PORTS });
    producer = createIdempotentProducer(
      createKafka(`e2e-${run}`, env.KAFKA_BROKERS.split(','), pino({ level: 'silent' })),
    );
    await producer.connect();
    admin = await tokenFor({ subject: 'it-admin', roles: ['IT_CELL_ADMIN'] });
    editor = await tokenFor({ subject: `editor-${code}`, roles: ['DEPT_EDITOR'], department: code });
    const created = await gql(
      stack.gatewayUrl,
      'mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }',
      {
        i: {
          code,
          name: 'Farmer Welfare and Agriculture Development',
          nameHi: 'किसान कल्याण तथा कृषि विकास विभाग',
        },
      },
      admin,
    );
    expect(created.errors).toBeUndefined();
  }, 120_000);

  afterAll(async () => {
    await producer?.disconnect();
    await stack?.stop();
  });

  const input = {
    kind: 'ACHIEVEMENT',
    title: 'गेहूं उपार्जन',
    body: [
      { language: 'HI', text: `प्रदेश में 1 करोड़ मीट्रिक टन गेहूं का उपार्जन ${run}` },
      { language: 'EN', text: 'Madhya Pradesh procured 10 million tonnes of wheat 🌾' },
    ],
    hashtags: ['MPKisan'],
    targetAccountIds: [account],
  };
  const validate =
    'query($d: ID!, $i: ContentInput!) { validateContent(departmentId: $d, input: $i) { account { id } platform violations { rule } } }';

  it('refuses the account until AccountConnected arrives, then validates, creates, finds and submits content', async () => {
    const before = await gql(stack.gatewayUrl, validate, { d: departmentId, i: input }, editor);
    expect(before.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const message = {
      accountId: account,
      departmentId,
      platform: Platform.X,
      handle: '@mp_agri',
      externalAccountId: '42',
    };
    await producer.send({
      topic: TOPICS.publish,
      acks: -1,
      messages: [
        {
          key: eventKeyOf(AccountConnectedSchema, message),
          value: Buffer.from(encodeEvent(AccountConnectedSchema, message)),
          headers: {
            [HEADER.id]: randomUUID(),
            [HEADER.type]: eventTypeOf(AccountConnectedSchema),
            [HEADER.source]: '/prasar/e2e',
            [HEADER.time]: new Date().toISOString(),
            [HEADER.specVersion]: '1.0',
            [HEADER.contentType]: PROTOBUF_CONTENT_TYPE,
            [HEADER.departmentId]: departmentId,
          },
        },
      ],
    });

    const variants = await eventually(async () => {
      const res = await gql(stack.gatewayUrl, validate, { d: departmentId, i: input }, editor);
      expect(res.errors).toBeUndefined();
      return res.data?.validateContent;
    }, 30_000);
    expect(variants).toEqual([{ account: { id: account }, platform: 'X', violations: [] }]);

    const created = await gql<{ createContent: { id: string } }>(
      stack.gatewayUrl,
      'mutation($d: ID!, $i: ContentInput!) { createContent(departmentId: $d, input: $i) { id } }',
      { d: departmentId, i: input },
      editor,
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createContent.id;
    const found = await gql(
      stack.gatewayUrl,
      'query($s: String!) { contents(filter: { search: $s }) { totalCount edges { node { id variants { platform weightedLength } } } } }',
      { s: `गेहूं का उपार्जन ${run}` },
      editor,
    );
    expect(found.data).toEqual({
      contents: {
        totalCount: 1,
        edges: [{ node: { id, variants: [{ platform: 'X', weightedLength: expect.any(Number) }] } }],
      },
    });
    const submitted = await gql(
      stack.gatewayUrl,
      'mutation($id: ID!) { submitContent(id: $id) { status } }',
      { id },
      editor,
    );
    expect(submitted).toEqual({ data: { submitContent: { status: 'IN_REVIEW' } } });
  });
});
