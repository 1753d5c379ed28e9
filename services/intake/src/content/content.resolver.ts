import { randomUUID } from 'node:crypto';
import { Args, Mutation, Parent, Query, ResolveField, ResolveReference, Resolver } from '@nestjs/graphql';
import { NotFoundError, type Principal } from '@prasar/auth';
import { Caller } from '@prasar/graphql';
import { DepartmentService } from '../department/department.service';
import type { Department } from '../department/department.entity';
import type { Content, ContentBody, ContentKind, Language, PersonRole, Priority } from './content.entity';
import { ContentListing, type ContentConnection, type ContentFilterArgs } from './content.listing';
import { ContentService, type PlatformVariantView } from './content.service';

/** ContentInput as GraphQL delivers it (defaults applied by the schema). */
export interface ContentInputArgs {
  kind: ContentKind;
  priority?: Priority | null;
  title: string;
  body: { language: Language; text: string }[];
  hashtags?: string[] | null;
  link?: string | null;
  media?:
    | {
        url: string;
        mimeType: string;
        altText: string;
        people?: { role: PersonRole; name: string }[] | null;
      }[]
    | null;
  evidence?: { orderNumber: string; documentUrl: string } | null;
  desiredPublishAt?: Date | null;
  targetAccountIds: string[];
  overrides?: { accountId: string; text: string }[] | null;
}

/** Normalizes API input into a content body (media get ids here). */
export function toContentBody(input: ContentInputArgs): ContentBody {
  return {
    kind: input.kind,
    priority: input.priority ?? 'NORMAL',
    title: input.title.trim(),
    body: input.body.map((b) => ({ language: b.language, text: b.text.trim() })),
    hashtags: (input.hashtags ?? []).map((h) => h.trim()),
    link: input.link?.trim() || null,
    media: (input.media ?? []).map((m) => ({
      id: randomUUID(),
      url: m.url.trim(),
      mimeType: m.mimeType.trim(),
      altText: m.altText.trim(),
      people: (m.people ?? []).map((p) => ({ role: p.role, name: p.name.trim() })),
    })),
    evidence: input.evidence
      ? { orderNumber: input.evidence.orderNumber.trim(), documentUrl: input.evidence.documentUrl.trim() }
      : null,
    desiredPublishAt: input.desiredPublishAt ?? null,
    targetAccountIds: [...new Set(input.targetAccountIds)],
    overrides: input.overrides ?? [],
  };
}

@Resolver('Content')
export class ContentResolver {
  constructor(
    private readonly contents: ContentService,
    private readonly listing: ContentListing,
    private readonly departments: DepartmentService,
  ) {}

  @Query('content')
  content(@Caller() caller: Principal, @Args('id') id: string): Promise<Content> {
    return this.contents.get(caller, id);
  }

  @Query('contents')
  contentsList(
    @Caller() caller: Principal,
    @Args('filter') filter: ContentFilterArgs | null,
    @Args('first') first: number | null,
    @Args('after') after: string | null,
  ): Promise<ContentConnection> {
    return this.listing.list(caller, filter, first, after);
  }

  @Query('validateContent')
  validateContent(
    @Caller() caller: Principal,
    @Args('departmentId') departmentId: string,
    @Args('input') input: ContentInputArgs,
  ): Promise<PlatformVariantView[]> {
    return this.contents.validate(caller, departmentId, toContentBody(input));
  }

  @Mutation('createContent')
  createContent(
    @Caller() caller: Principal,
    @Args('departmentId') departmentId: string,
    @Args('input') input: ContentInputArgs,
    @Args('idempotencyKey') idempotencyKey?: string | null,
  ): Promise<Content> {
    return this.contents.create(caller, departmentId, toContentBody(input), {
      key: idempotencyKey,
      request: { departmentId, input },
    });
  }

  @Mutation('updateContent')
  updateContent(
    @Caller() caller: Principal,
    @Args('id') id: string,
    @Args('expectedVersion') expectedVersion: number,
    @Args('input') input: ContentInputArgs,
  ): Promise<Content> {
    return this.contents.update(caller, id, expectedVersion, toContentBody(input));
  }

  @Mutation('submitContent')
  submitContent(@Caller() caller: Principal, @Args('id') id: string): Promise<Content> {
    return this.contents.submit(caller, id);
  }

  @Mutation('withdrawContent')
  withdrawContent(
    @Caller() caller: Principal,
    @Args('id') id: string,
    @Args('reason') reason: string,
  ): Promise<Content> {
    return this.contents.withdraw(caller, id, reason);
  }

  @ResolveField('department')
  async department(@Caller() caller: Principal, @Parent() content: Content): Promise<Department> {
    const department = await this.departments.findVisible(caller, content.departmentId);
    if (!department) throw new NotFoundError('Department', content.departmentId);
    return department;
  }

  @ResolveField('variants')
  variants(@Caller() caller: Principal, @Parent() content: Content): Promise<PlatformVariantView[]> {
    return this.contents.variants(caller, content);
  }

  @ResolveField('history')
  history(@Caller() caller: Principal, @Parent() content: Content) {
    return this.contents.history(caller, content);
  }

  @ResolveReference()
  resolveReference(ref: { id: string }, ...rest: unknown[]): Promise<Content | null> {
    const caller = (rest[0] as { principal: Principal }).principal;
    return this.contents.findVisible(caller, ref.id);
  }
}
